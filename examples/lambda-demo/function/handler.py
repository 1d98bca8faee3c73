"""AWS Lambda entry point of the example function."""

from demo import probe


def handler(event: dict, context: object) -> dict:
    return {"value": probe("/var/task/handler.py")}
