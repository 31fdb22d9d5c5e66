"""Command line: `luatorch run SCRIPT`, `luatorch info`, and `th SCRIPT` (Torch7's name)."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any, List, Optional, Sequence

import click

from luatorch import __version__

COMMANDS = ("run", "info", "repl", "inspect")


def _fail(msg: str, tb: str = "", debug: bool = False) -> None:
    click.echo(msg, err=True)
    if debug and tb:
        click.echo(tb.strip("\n"), err=True)


def _runtime(script_dir: Optional[str], trust_functions: bool = False,
             virtual_gpus: Optional[int] = None):
    from luatorch.runtime import Runtime

    rt = Runtime(script_dir=script_dir, virtual_gpus=virtual_gpus)
    rt.require("trepl")  # what th did before a script's first line (lua/trepl/init.lua)
    if trust_functions:
        rt.execute("torch._trustFunctions = true", "=[luatorch]")
    return rt


def _cannot_open(script: Optional[str]) -> bool:
    """Say Torch7's `cannot open <script>: <reason>` when the script is no readable file."""
    if script is None or os.path.isfile(script):
        return False
    why = "Is a directory" if os.path.isdir(script) else "No such file or directory"
    _fail(f"cannot open {script}: {why}")
    return True


def run_script(script: Optional[str], args: Sequence[str], execs: Sequence[str] = (),
               libs: Sequence[str] = (), interactive: bool = False, debug: bool = False,
               trust_functions: bool = False, virtual_gpus: Optional[int] = None) -> int:
    """Run a script the way `th` did; returns the process exit code."""
    from luatorch.runtime import LuaError

    if _cannot_open(script):
        return 1
    script_dir = os.path.dirname(os.path.abspath(script)) if script else os.getcwd()
    from luatorch import interrupt

    interrupt.enable_hard_exit()
    try:
        rt = _runtime(script_dir, trust_functions, virtual_gpus)
        # `arg` is there for -e statements and -l libraries too, as the script will see it
        rt.set_arg(script, list(args) if script is not None else [])
        for lib in libs:
            rt.require(lib)
        for stmt in execs:
            rt.execute(stmt, "=(command line)")
        if script is not None:
            rt.run_file(script, list(args))
        if interactive or (script is None and not execs):
            from luatorch.repl import loop

            loop(rt)
    except LuaError as e:
        _fail(e.message, e.traceback, debug)
        return 1
    except ValueError as e:  # a bad LUATORCH_VIRTUAL_GPUS
        _fail(f"luatorch: {e}")
        return 2
    except SystemExit as e:
        return int(e.code or 0)
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except Exception as e:  # a bug in luatorch itself: short message unless --debug
        _fail(f"luatorch internal error: {type(e).__name__}: {e}", traceback.format_exc(), debug)
        return 1
    return 0


@click.group(invoke_without_command=False, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="`luatorch SCRIPT [ARGS]` (or `th SCRIPT [ARGS]`) is `luatorch run SCRIPT "
                    "[ARGS]`; `luatorch` alone starts the prompt. `th -h` lists the options "
                    "of a run.")
@click.version_option(__version__, prog_name="luatorch")
def cli() -> None:
    """luatorch: run Torch7 Lua scripts and models on NumPy/CuPy."""


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False,
                               "help_option_names": ["-h", "--help"]})
@click.option("-e", "execs", multiple=True, metavar="STMT", help="Execute a Lua statement first.")
@click.option("-l", "libs", multiple=True, metavar="LIB", help="require(LIB) first.")
@click.option("-i", "interactive", is_flag=True, help="Enter the REPL after the script.")
@click.option("--debug", is_flag=True, help="Show Lua and Python tracebacks on errors.")
@click.option("--trust-functions", is_flag=True,
              help="Let torch.load run Lua functions serialized in .t7 files.")
@click.option("--virtual-gpus", "virtual_gpus", type=click.IntRange(min=0), default=None,
              metavar="N", help="Simulate N GPUs over NumPy (as LUATORCH_VIRTUAL_GPUS=N).")
@click.option("--np", "nprocs", default=None, metavar="N",
              help="Start N processes through mpiexec (distlearn; needs the mpi extra).")
@click.option("--tag-output", is_flag=True, help="With --np: prefix output lines by rank.")
@click.option("--hostfile", default=None, metavar="FILE",
              help="With --np: start the processes on FILE's hosts (mpiexec's --hostfile).")
@click.argument("script", required=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run(execs, libs, interactive, debug, trust_functions, virtual_gpus, nprocs, tag_output,
        hostfile, script, args) -> None:
    """Run SCRIPT with ARGS (the global `arg`, as in Torch7's th)."""
    if script and script.startswith("-") and not os.path.exists(script):
        # options after the script belong to it; before it, an unknown one is a mistake
        click.echo(f"luatorch run: unknown option {script} (see luatorch run --help)", err=True)
        sys.exit(2)
    if hostfile is not None and nprocs is None:
        click.echo("luatorch run: --hostfile goes with --np N", err=True)
        sys.exit(2)
    if nprocs is not None:
        sys.exit(_launch(nprocs, tag_output, execs, libs, debug, trust_functions, virtual_gpus,
                         script, args, hostfile))
    code = run_script(script, args, execs, libs, interactive, debug, trust_functions,
                      virtual_gpus)
    if code:
        from luatorch.dist import leave_failed

        leave_failed(code)
    sys.exit(code)


def _launch(nprocs: str, tag_output: bool, execs, libs, debug, trust_functions, virtual_gpus,
            script, args, hostfile: Optional[str] = None) -> int:
    from luatorch.dist.launch import launch, parse_np

    n = parse_np(nprocs)
    if n is None:
        click.echo(f"luatorch run: --np needs a positive number of processes, got '{nprocs}'",
                   err=True)
        return 2
    if script is None:
        click.echo("luatorch run: --np needs a script", err=True)
        return 2
    child = [a for e in execs for a in ("-e", e)] + [a for lib in libs for a in ("-l", lib)]
    child += ["--debug"] * bool(debug) + ["--trust-functions"] * bool(trust_functions)
    if virtual_gpus is not None:
        child += ["--virtual-gpus", str(virtual_gpus)]
    if hostfile is not None and not os.path.isfile(hostfile):
        click.echo(f"luatorch run: no hostfile {hostfile}", err=True)
        return 2
    return launch(n, child + [script] + list(args), tag_output,
                  ready=lambda: 1 if _cannot_open(script) else None,
                  hostfile=None if hostfile is None else os.path.abspath(hostfile))


@cli.command()
def repl() -> None:
    """An interactive Torch7 prompt."""
    sys.exit(run_script(None, (), interactive=True))


@cli.command()
@click.argument("path")
def inspect(path) -> None:
    """Show what a .t7 file holds (model tree, tensors, parameter count) without running it."""
    from luatorch.api import inspect_file
    from luatorch.tensor import TorchError

    try:
        click.echo(inspect_file(path))
    except (TorchError, OSError) as e:
        click.echo(str(e), err=True)
        sys.exit(1)


@cli.command()
@click.option("--virtual-gpus", "virtual_gpus", type=click.IntRange(min=0), default=None,
              help="report N simulated GPUs (also LUATORCH_VIRTUAL_GPUS=N)")
def info(virtual_gpus: Optional[int]) -> None:
    """Versions, Lua engine, BLAS, and which GPU and MPI features are live."""
    import numpy as np

    from luatorch.backend import cuda
    from luatorch.runtime import Runtime, _virtual_gpus

    rt = Runtime(load_torch=False)
    click.echo(f"luatorch {__version__}")
    click.echo(f"python   {sys.version.split()[0]}")
    click.echo(f"lua      {rt.lua.eval('jit.version')} (Lua 5.1 semantics, lupa)")
    click.echo(f"numpy    {np.__version__}")
    blas = "unknown"
    try:
        cfg = np.show_config(mode="dicts")
        b = cfg.get("Build Dependencies", {}).get("blas", {})
        blas = f"{b.get('name', '?')} {b.get('version', '')}".strip()
    except Exception:
        pass
    click.echo(f"blas     {blas}")
    n = cuda.device_count()
    if cuda._cp is None:
        click.echo("cupy     not installed (no real GPU: pip install 'luatorch[cuda]')")
    else:
        click.echo(f"cupy     {cuda._cp.__version__}, {n} usable GPU(s)")
    for name, line in _gpu_libraries(cuda._cp):
        click.echo(f"{name:<8} {line}")
    from luatorch.kernels import routes

    conv_route = "cuDNN" if routes.flags.cudnn and n and routes.frontend_available() \
        else "im2col + cuBLAS"
    click.echo(f"routes   GPU convolution / batch norm: {conv_route}; fused kernels: "
               f"{'on' if routes.flags.fused and n else 'off'} (LUATORCH_CUDNN=0, "
               "LUATORCH_FUSED=0 turn them off)")
    nvirt = _virtual_gpus(virtual_gpus)
    if nvirt:
        click.echo(f"virtual  {nvirt} simulated GPU(s) over NumPy (cutorch uses these)")
    else:
        click.echo("virtual  none (luatorch run --virtual-gpus N simulates N GPUs)")
    try:
        import mpi4py  # noqa: F401

        click.echo("mpi      mpi4py available")
    except Exception:
        click.echo("mpi      mpi4py not installed")
    gpus = [f"cuda:{i} (virtual)" for i in range(nvirt)] if nvirt else \
        [f"cuda:{i}" for i in range(n)]
    click.echo("devices  " + ", ".join(["cpu"] + gpus))


def _gpu_libraries(cp: Any) -> List[tuple]:
    """The cuDNN frontend and NCCL: whether each imports, and its version."""
    out = []
    try:
        import cudnn  # NVIDIA's nvidia-cudnn-frontend

        try:
            ver = f"cuDNN {cudnn.backend_version()}"
        except Exception as e:  # the frontend without the cuDNN library
            ver = f"library missing ({type(e).__name__})"
        out.append(("cudnn", f"frontend {getattr(cudnn, '__version__', '?')}, {ver}"))
    except Exception:
        out.append(("cudnn", "frontend not installed (convolutions use im2col + cuBLAS)"))
    if cp is None:
        out.append(("nccl", "not available (needs CuPy)"))
    else:
        try:
            from cupy.cuda import nccl

            out.append(("nccl", f"NCCL {nccl.get_version()}"))
        except Exception:
            out.append(("nccl", "not available (multi-GPU reductions use peer copies)"))
    return out


def th_help(prog: str = "th") -> str:
    """`th -h`: the usage of a script runner, as Torch7's th printed it, with our options."""
    ctx = run.make_context(prog, [], resilient_parsing=True)
    formatter = ctx.make_formatter()
    formatter.write_usage(prog, "[options] [script.lua [arguments]]")
    formatter.write_paragraph()
    formatter.write_text("Run a Torch7 script (arguments after it are the script's own, in "
                         "the global `arg`); with no script, start the prompt (`th>`).")
    run.format_options(ctx, formatter)
    formatter.write_paragraph()
    formatter.write_text(f"Other commands: {prog} info | inspect FILE.t7 | repl "
                         f"({prog} COMMAND -h for each).")
    return formatter.getvalue()


def main(argv: Optional[List[str]] = None) -> None:
    """Entry point for both `luatorch` and `th`: a bare script name means `run`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = os.path.basename(sys.argv[0]) or "luatorch"
    if prog == "th" and argv[:1] in (["-h"], ["--help"]):
        click.echo(th_help(prog), nl=False)
        return
    if not argv:  # `luatorch` and `th` alone start the prompt
        argv = ["run"]
    elif argv and argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version"):
        argv = ["run"] + argv
    cli.main(args=argv, prog_name=prog)


if __name__ == "__main__":
    main()
