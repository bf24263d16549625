"""uptake: helpers of the uptake dbt project."""

__version__ = "0.1.0"
