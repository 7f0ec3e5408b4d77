"""A per-sample kernel run as machine code: its IR (native_kernel, native_lowering), compiled
or loaded from the cache (native_cache), called through ctypes on numpy arrays of float64.

A kernel whose code calls only autograd's own functions and the math module is cached under
what its IR is made from (native_identity), so loading it needs no IR; any other kernel (one
of a defined op, whose forward is the user's code) is cached under its IR itself.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

from .kernels import ROW_KERNEL, SUM_KERNEL, KernelCode, as_floats, rows_as_floats
from .native_cache import NOT_INSTALLED, MachineCode
from .native_identity import source_identity
from .native_kernel import kernel_module, sums_size

try:
    import numpy as np
except ImportError:
    raise ImportError(NOT_INSTALLED) from None

_POINTER, _SIZE = ctypes.c_void_p, ctypes.c_int64
_SUMS = ctypes.CFUNCTYPE(None, _POINTER, _POINTER, _SIZE, _POINTER, _POINTER)
_ROWS = ctypes.CFUNCTYPE(None, _POINTER, _POINTER, _SIZE, _POINTER, _POINTER, _POINTER)


class NativeKernel:
    """The machine code of a kernel, fed and answering with float64 arrays."""

    def __init__(self, code: KernelCode, python_source: str) -> None:
        self._code = code
        self._ir: str | None = None
        identity = source_identity(code, python_source)
        self._machine = MachineCode(identity or self.source, lambda: self.source)
        self.from_cache = self._machine.from_cache
        self._sums = _SUMS(self._machine.address(SUM_KERNEL))
        self._rows = _ROWS(self._machine.address(ROW_KERNEL))
        self._params = len(code.params)
        self._width = len(code.batch)
        self._aux = len(code.aux)

    @property
    def source(self) -> str:
        """The kernel's LLVM IR, made when first needed."""
        if self._ir is None:
            self._ir = kernel_module(self._code)
        return self._ir

    def __call__(self, params: Any, rows: Any, per_sample: bool) -> tuple[Any, Any, Any]:
        values = _float64(params, as_floats)
        if values.shape != (self._params,):
            raise ValueError(f"expected {self._params} parameter values, got shape "
                             f"{values.shape}")
        data = _float64(rows, rows_as_floats)
        if data.size == 0:
            data = data.reshape(len(data), self._width)
        if data.ndim != 2 or data.shape[1] != self._width:
            raise ValueError(f"expected rows of {self._width} numbers, got shape {data.shape}")
        n = len(data)
        aux = np.empty((n, self._aux))
        if per_sample:
            each = np.empty(n)
            gradients = np.empty((n, self._params))
            self._rows(values.ctypes.data, data.ctypes.data, n, each.ctypes.data,
                       gradients.ctypes.data, aux.ctypes.data)
            return each, gradients, aux
        sums = np.zeros(sums_size(self._params))
        self._sums(values.ctypes.data, data.ctypes.data, n, sums.ctypes.data, aux.ctypes.data)
        return float(sums[0]), sums[1:1 + self._params], aux


def _float64(x: Any, floats: Callable[[Any], Any]) -> Any:
    """x as a contiguous float64 array (as it is, if it is one); numbers only, never text.

    Python's numbers numpy keeps as objects (an int beyond a float64's range, a Fraction) are
    made floats by floats(x), as the python backend makes them.
    """
    array = np.asarray(x)
    if array.dtype == object:
        array = np.asarray(floats(x))
    if array.dtype.kind not in "fiub":
        raise TypeError(f"expected numbers, got an array of {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.float64)
