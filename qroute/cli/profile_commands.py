"""`qroute profiles refresh`: hardware profiles made from the Braket devices' GetDevice.

`qroute backends` is a plain command (it lists backends), so refreshing profiles is its own
command group, `qroute profiles`. The files go to `--out`, else to `$QROUTE_HARDWARE_PROFILES`
(the folder qroute loads profiles from instead of its shipped ones); never into the package.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from qroute.cli.app import app, option, print_json

profiles_app = typer.Typer(
    name="profiles", help="hardware profiles made from the devices themselves", no_args_is_help=True
)
app.add_typer(profiles_app)


@profiles_app.command(
    "refresh", help="write a profile per Braket QPU from its GetDevice (needs AWS credentials)"
)
def _refresh(
    device: Annotated[
        list[str], option("--device", help="Braket QPU ARN (repeatable)", metavar="ARN")
    ],
    out: Annotated[
        Path | None,
        option("--out", help="folder for the YAML files (default: $QROUTE_HARDWARE_PROFILES)"),
    ] = None,
) -> int:
    from qroute.backends.hardware import PROFILES_ENV
    from qroute.cloud.braket_profiles import refresh_profiles
    from qroute.cloud.settings import current_settings
    from qroute.model.errors import UsageError

    folder = out
    if folder is None and os.environ.get(PROFILES_ENV):
        folder = Path(os.environ[PROFILES_ENV])
    if folder is None:
        raise UsageError(
            f"give --out DIR or set ${PROFILES_ENV}: qroute does not write into its installed "
            "profile folder"
        )
    written = refresh_profiles(device, folder, current_settings())
    print_json(
        {
            "written": [
                {
                    "id": generated.profile.id,
                    "device_arn": generated.profile.device_arn,
                    "path": str(path),
                    "price_as_of": generated.profile.price.as_of.isoformat(),
                    "price_source": generated.profile.price.source,
                }
                for generated, path in written
            ]
        }
    )
    return 0
