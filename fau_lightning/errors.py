"""Errors in what the user gave: a path, a file's contents, a setting. Each message names the path or
setting and says what is wrong; the console commands print it as one line and exit 2
(`cli/common.py`), while any other exception is a bug and keeps its traceback.
"""


class InputError(ValueError):
    """Something the user gave is wrong; the message names it."""


class SettingError(InputError):
    """A setting outside what it can be: "<setting>: <what is wrong>".

    Library code names its own parameter (`setting`, e.g. "device"); a console command shows that
    parameter as its flag (`cli/common.exit_on_input_error`). Without `setting`, the message names it.
    """

    def __init__(self, message: str, setting: str | None = None) -> None:
        super().__init__(f"{setting}: {message}" if setting else message)
        self.setting = setting
        self.detail = message


class DatasetFormatError(InputError):
    """A file or folder that does not follow its dataset's format: "<path>: <what is wrong>"."""


class CheckpointError(InputError):
    """A file that is not a readable fau_lightning checkpoint: "<path>: <what is wrong>"."""


class OutputError(InputError):
    """An output that cannot be written where the user asked: "<path>: <what is wrong>"."""
