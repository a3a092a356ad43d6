"""The error type for mistakes a user can fix: reported as one line, never a traceback."""


class UserError(Exception):
    """A problem with the command's input (a path, a folder, an option)."""
