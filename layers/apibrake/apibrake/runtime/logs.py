"""The layer logs through the standard library (`logging.getLogger(__name__)`), so domain
code needs no Powertools; each function hands its Powertools logger's JSON handler to
those loggers once, at import, so their lines come out as JSON with their `extra` keys."""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import utils

LAYER_PACKAGE = "apibrake"


def route_layer_logs(logger: Logger) -> None:
    if logger.name == LAYER_PACKAGE:
        return  # the service is named like the package: layer loggers are its children
    # Powertools configures registered top-level loggers only: register the package's
    # first; module loggers below it propagate to it.
    logging.getLogger(LAYER_PACKAGE)
    utils.copy_config_to_registered_loggers(source_logger=logger, include={LAYER_PACKAGE})
