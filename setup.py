"""msroi: semantic region-of-interest JPEG compression."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def requirements(name: str) -> list[str]:
    lines = (HERE / name).read_text().splitlines()
    return [l.split("#")[0].strip() for l in lines
            if l.split("#")[0].strip() and not l.startswith("-r")]


def model_files() -> list[tuple[str, list[str]]]:
    """models/<name>/* installed under <prefix>/share/msroi/models/<name>/."""
    out = []
    for folder in sorted((HERE / "models").iterdir()):
        if (folder / "config.json").is_file():
            files = [str(p.relative_to(HERE)) for p in sorted(folder.iterdir())
                     if p.is_file() and p.suffix in (".json", ".h5")]
            out.append((f"share/msroi/models/{folder.name}", files))
    return out


setup(
    name="msroi",
    version="0.1.0",
    description="Semantic region-of-interest JPEG compression (Prakash et al., DCC 2017)",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["msroi", "msroi.*"]),
    install_requires=requirements("requirements.txt"),
    extras_require={"test": requirements("requirements-test.txt")},
    data_files=model_files(),
    entry_points={"console_scripts": ["msroi=msroi.cli:main"]},
)
