"""Repacked weights are on unless both the llama.cpp build and the CPU have AMX (llama.cpp issue 20824)."""

from __future__ import annotations

from jurist.local._child import _extra_bufts


class _Build:
    def __init__(self, info: str) -> None:
        self.info = info

    def get_system_info(self) -> str:
        return self.info


PREBUILT = _Build("CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | REPACK = 1 |")
WITH_AMX = _Build("CPU : AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | REPACK = 1 |")


def test_the_prebuilt_wheel_repacks_even_on_a_cpu_with_amx() -> None:
    assert _extra_bufts(PREBUILT, {"extra_bufts": None, "cpu_amx": True})
    assert _extra_bufts(PREBUILT, {"extra_bufts": None, "cpu_amx": False})


def test_a_build_with_amx_kernels_does_not_repack_on_a_cpu_with_amx() -> None:
    assert not _extra_bufts(WITH_AMX, {"extra_bufts": None, "cpu_amx": True})
    assert _extra_bufts(WITH_AMX, {"extra_bufts": None, "cpu_amx": False})


def test_the_setting_wins() -> None:
    assert _extra_bufts(WITH_AMX, {"extra_bufts": True, "cpu_amx": True})
    assert not _extra_bufts(PREBUILT, {"extra_bufts": False, "cpu_amx": False})
