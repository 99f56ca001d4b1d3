from tests.conftest import load, run_command, sample_text, write_set

__all__ = ["csp_violations", "load", "run_command", "sample_text", "write_set"]


def csp_violations(messages) -> list[str]:
    """Chromium reports a blocked script, style or resource as a console error naming the policy."""
    return [m.text for m in messages if m.type == "error" and "Content Security Policy" in m.text]
