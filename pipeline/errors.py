"""One family of exceptions.  Messages name the file, offset or rule at fault."""


class MQTriageError(Exception):
    """Base class: the CLI turns these into a clean message and a non-zero exit."""


class InputError(MQTriageError):
    """An input path is missing, unreadable or of an unknown kind."""


class OutputError(MQTriageError):
    """The output folder cannot be written (permissions, disk full, lock held)."""


class LockHeldError(OutputError):
    """Another mqtriage run holds the lock on this output folder."""


class RuleError(MQTriageError):
    """A rule file is invalid: the message names file, rule id and field."""


class ModelError(MQTriageError):
    """A model artifact is missing, tampered with or of an unexpected type."""


class ConfigError(MQTriageError):
    """Preflight configuration (definitions, certificates, manifest) is invalid."""
