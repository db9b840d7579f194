"""What every built-in tool shares."""


class ToolError(Exception):
    """A refusal or failure the agent should read: crewai hands the message to the model."""
