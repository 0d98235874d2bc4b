"""Installs the churnkit Python package (pure Python; ctypes over
libchurnkit, which is found at run time, see docs/python.md).

    /usr/bin/python3 -m venv --system-site-packages .venv
    .venv/bin/pip install --no-build-isolation --no-index ./python

No network is needed: setuptools comes from the interpreter, numpy and
pandas from Debian's python3-numpy / python3-pandas.  To bundle a library
into the package, copy libchurnkit.so* into python/churnkit/lib/ first.
"""

from setuptools import setup

setup(
    name="churnkit",
    version="0.1.0",
    description="Churn analytics over the churnkit C library (ctypes)",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    packages=["churnkit"],
    package_data={"churnkit": ["lib/libchurnkit.so*"]},
    python_requires=">=3.9",
    install_requires=["numpy", "pandas"],
    # The HTML report's charts (churnkit.html_report); Debian:
    # python3-matplotlib.
    extras_require={"report": ["matplotlib"]},
    zip_safe=False,
    entry_points={"console_scripts": ["churnkit-py = churnkit.__main__:main"]},
)
