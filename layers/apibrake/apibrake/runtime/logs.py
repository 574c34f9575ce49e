"""The layer logs through the standard library (`logging.getLogger(__name__)`), so domain
code needs no Powertools; each function hands its Powertools logger's JSON handler to
those loggers once, at import, so their lines come out as JSON with their `extra` keys."""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import utils

LAYER_PACKAGE = "apibrake"


def route_layer_logs(logger: Logger) -> None:
    # The package logger, then every module logger below it that exists already; module
    # loggers created later propagate to the package logger.
    package = logging.getLogger(LAYER_PACKAGE)
    utils.copy_config_to_registered_loggers(source_logger=logger, include={LAYER_PACKAGE})
    if not package.handlers:
        for handler in logger.handlers:
            package.addHandler(handler)
        package.setLevel(logger.log_level)
        package.propagate = False
