"""chartsift's side that touches the world: Prefect flows and tasks, sources and sinks, inference
engines, settings and the CLI."""

__version__ = "0.1.0"
