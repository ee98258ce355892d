"""The fau-analyze report as one HTML page, filled into `templates/report.html`."""

import html
from importlib.resources import files
from string import Template


def report_page(numbers: dict, figures: dict[str, str], fau_section: str) -> str:
    """The page for a report's numbers (report.json's content), its PNG figures by key, and the FAU section's HTML."""
    image = lambda key: f"<img src='{figures[key]}'>" if key in figures else ""  # noqa: E731
    metrics = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{v:.4f}</td></tr>" for k, v in numbers["test"]["metrics"].items()
    )
    template = Template(files("fau_lightning.viz").joinpath("templates/report.html").read_text())
    return template.substitute(
        model=html.escape(numbers["checkpoint"]),
        metrics=metrics,
        confusion=image("confusion"),
        layer=html.escape(numbers["filters"]["layer"]),
        selection_images=numbers["probe"]["selection_images"],
        patches=image("patches"),
        method=html.escape(numbers["filters"]["method"]),
        projections=image("projections"),
        conv1=image("conv1"),
        fau=fau_section,
    )
