"""Errors the command line turns into exit codes."""


class InputError(ValueError):
    """Bad input from the user (a file, a key, a value, a flag): exit code 2.

    The message is one line that names the file, the key and what is allowed.
    """
