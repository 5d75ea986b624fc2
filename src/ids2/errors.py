"""One base error type, so `main()` can turn any expected failure into one clear line."""


class Ids2Error(Exception):
    """An expected failure with a message a person can act on; exit status 1 unless overridden."""

    exit_status = 1


class ConfigError(Ids2Error):
    """The configuration file cannot be used; `problems` lists every reason at once."""

    exit_status = 2

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {problem}" for problem in problems))
