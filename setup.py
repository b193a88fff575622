"""The compiled part of msroi: the trellis kernels (msroi/jpeg/_kernels.c). Everything else
is in pyproject.toml. ``optional``: where no C compiler is found the install still succeeds
and the kernels run through numba (compiled at first use, slower to start)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("msroi.jpeg._kernels", ["msroi/jpeg/_kernels.c"],
                             extra_compile_args=["-O2", "-ffp-contract=off"], optional=True)])
