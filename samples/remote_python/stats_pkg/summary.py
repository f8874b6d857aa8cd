"""A small package of the sample's own, uploaded to the login node by upload_python_package()."""
import statistics


def describe(values, digits=2):
    return {"n": len(values), "mean": round(statistics.mean(values), digits),
            "stdev": round(statistics.stdev(values), digits)}
