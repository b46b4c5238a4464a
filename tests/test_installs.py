"""Behaviour of install-record extraction (mllint.installs)."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mllint.installs import (
    UNRESOLVED,
    InstallRecord,
    _record,
    install_records,
    parse_conda_spec,
    parse_os_package,
    parse_pip_requirement,
)
from mllint.shell import SimpleCommand, _split, split_exec_form, split_script


def records(script: str, **kw) -> list[InstallRecord]:
    return install_records(split_script(script, **kw))


def one(script: str, **kw) -> InstallRecord:
    (rec,) = records(script, **kw)
    return rec


def names(rec: InstallRecord) -> list[str | None]:
    return [r.name for r in rec.requirements]


# --------------------------------------------------------------------------- recognition


@pytest.mark.parametrize(
    "script, tool",
    [
        ("pip install x", "pip"),
        ("pip3 install x", "pip3"),
        ("pip3.11 install x", "pip3.11"),
        ("/opt/conda/bin/pip install x", "/opt/conda/bin/pip"),
        ("/usr/local/bin/pip3 install x", "/usr/local/bin/pip3"),
        ("python -m pip install x", "python -m pip"),
        ("python3 -m pip install x", "python3 -m pip"),
        ("python3.10 -m pip install x", "python3.10 -m pip"),
        ("/opt/venv/bin/python -m pip install x", "/opt/venv/bin/python -m pip"),
        ("py -m pip install x", "py -m pip"),
        ("python3 -u -m pip install x", "python3 -m pip"),
        ("sudo -H pip install x", "pip"),
        ("conda run -n env pip install x", "pip"),
    ],
)
def test_pip_invocations(script, tool):
    rec = one(script)
    assert (rec.manager, rec.tool, rec.action, names(rec)) == ("pip", tool, "install", ["x"])


def test_record_keeps_the_command_object():
    cmds = split_script("apt-get update && pip install x")
    recs = install_records(cmds)
    assert [r.command for r in recs] == cmds
    assert recs[1].command is cmds[1]


def test_non_installers_are_ignored():
    assert records("echo pip install x; python -c 'import pip'; pipx install y; pip; pip --version; python3 -m venv v") == []


def test_options_before_subcommand():
    rec = one("python -m pip --no-cache-dir install x")
    assert rec.no_cache and rec.action == "install" and names(rec) == ["x"]
    rec = one("python -m pip -q --log /tmp/l install y")
    assert names(rec) == ["y"] and ("--log", "/tmp/l") in rec.options


def test_pip_value_options_are_not_packages():
    rec = one(
        "pip install --cache-dir /c --retries 3 --timeout 60 --trusted-host h --target /t --platform manylinux2014_x86_64 "
        "--python-version 3.11 --only-binary :all: -C k=v --progress-bar off --root-user-action ignore --src /s x "
        "--upgrade-strategy eager --prefix=/p --report r.json --exists-action w --cert c.pem --proxy http://p"
    )
    assert names(rec) == ["x"]
    assert ("--target", "/t") in rec.options and ("--prefix", "/p") in rec.options


def test_pip_abbreviated_long_options():
    rec = one("pip install --no-cache --upgrade torch")
    assert rec.no_cache and rec.upgrade and ("--no-cache-dir", None) in rec.options


def test_unknown_options_are_flags():
    rec = one("pip install --frobnicate x --wibble=3")
    assert names(rec) == ["x"] and ("--frobnicate", None) in rec.options and ("--wibble", "3") in rec.options


def test_pip_flags():
    rec = one(
        "pip install -U --pre --user --no-deps --no-build-isolation --break-system-packages "
        "-i https://idx/simple --extra-index-url https://extra/simple -f https://links torch"
    )
    assert rec.upgrade and rec.pre and rec.user and rec.no_deps and rec.no_build_isolation
    assert rec.break_system_packages and not rec.no_cache
    assert rec.index_url == "https://idx/simple"
    assert rec.extra_index_urls == ("https://extra/simple",)
    assert rec.find_links == ("https://links",)


def test_requirement_and_constraint_files():
    rec = one("pip install -r requirements.txt -c constraints.txt --requirement=r2.txt -rr3.txt --constraint c2.txt x")
    assert rec.requirement_files == ("requirements.txt", "r2.txt", "r3.txt")
    assert rec.constraint_files == ("constraints.txt", "c2.txt")
    assert names(rec) == ["x"]


def test_pip_uninstall_download_wheel():
    assert one("pip uninstall -y torch").action == "uninstall"
    assert names(one("pip uninstall -y torch")) == ["torch"]
    rec = one("pip download -d /wheels torch==2.1.0")
    assert rec.action == "download" and names(rec) == ["torch"]
    rec = one("pip wheel -w /wheels --no-deps .")
    assert rec.action == "wheel" and rec.requirements[0].path == "."


def test_quoted_requirements():
    rec = one("""pip install "torch==2.1.0" 'numpy<2' "torch>=2.0,<3" """)
    assert [(r.name, r.specifier) for r in rec.requirements] == [
        ("torch", "==2.1.0"), ("numpy", "<2"), ("torch", ">=2.0,<3"),
    ]


def test_no_cache_from_inline_environment():
    rec = one("PIP_NO_CACHE_DIR=1 pip install x")
    assert rec.no_cache and rec.assignments == (("PIP_NO_CACHE_DIR", "1"),)
    rec = one("env PIP_NO_CACHE_DIR=1 pip install x")
    assert rec.no_cache and rec.assignments == (("PIP_NO_CACHE_DIR", "1"),)
    assert one("PIP_NO_CACHE_DIR=false pip install x").no_cache  # pip disables the cache for any bool
    assert not one("PIP_NO_CACHE_DIR=maybe pip install x").no_cache


def test_index_urls_from_inline_environment():
    rec = one("PIP_INDEX_URL=https://a PIP_EXTRA_INDEX_URL='https://b https://c' pip install --extra-index-url https://d x")
    assert rec.index_url == "https://a"
    assert rec.extra_index_urls == ("https://b", "https://c", "https://d")
    assert rec.options == (("--extra-index-url", "https://d"),)


def test_editable():
    rec = one("pip install -e . -e git+https://github.com/org/pkg.git@v1#egg=pkg")
    assert rec.editable
    local, vcs = rec.requirements
    assert local.editable and local.path == "." and local.name is None
    assert vcs.editable and vcs.vcs == "git" and vcs.name == "pkg" and vcs.vcs_ref == "v1"


def test_installs_packages_property():
    assert one("pip install x").installs_packages
    assert not one("pip cache purge").installs_packages
    assert not one("apt-get update").installs_packages
    assert one("conda update -n base conda").installs_packages


def test_maintenance_actions_are_recorded_without_requirements():
    assert one("pip cache purge").action == "cache-purge"
    rec = one("conda clean -afy")
    assert rec.action == "clean" and rec.requirements == ()
    assert one("yum clean all").requirements == ()
    assert one("apt-get clean").action == "clean"


# --------------------------------------------------------------------------- uv


def test_uv_pip_install_system_no_cache():
    rec = one("uv pip install --system --no-cache torch")
    assert (rec.manager, rec.tool, rec.action) == ("uv", "uv pip", "install")
    assert rec.system and rec.no_cache and names(rec) == ["torch"]
    assert one("uv pip install -n torch").no_cache
    assert one("uv --no-cache pip install torch").no_cache
    assert one("UV_NO_CACHE=1 uv pip install torch").no_cache


def test_uv_torch_backend():
    assert one("uv pip install --torch-backend=cu126 torch").torch_backend == "cu126"
    assert one("uv pip install --torch-backend cpu torch").torch_backend == "cpu"
    assert one("UV_TORCH_BACKEND=auto uv pip install torch").torch_backend == "auto"


def test_uv_indexes_and_prerelease():
    rec = one("uv pip install --index-url https://a --extra-index-url https://b --index https://c --prerelease=allow x")
    assert rec.index_url == "https://a" and rec.extra_index_urls == ("https://b", "https://c") and rec.pre
    assert one("uv pip install --default-index https://d x").index_url == "https://d"


def test_uv_actions():
    rec = one("uv pip sync requirements.txt")
    assert rec.action == "sync" and rec.requirement_files == ("requirements.txt",) and rec.requirements == ()
    rec = one("uv pip compile requirements.in -o requirements.txt")
    assert rec.action == "compile" and rec.requirements == () and rec.requirement_files == ()
    rec = one("uv pip install -r requirements.txt -c c.txt")
    assert rec.requirement_files == ("requirements.txt",) and rec.constraint_files == ("c.txt",)
    rec = one("uv add 'torch>=2' numpy")
    assert (rec.tool, rec.action, names(rec)) == ("uv", "add", ["torch", "numpy"])
    rec = one("uv tool install ruff==0.5.0")
    assert (rec.tool, rec.action, names(rec)) == ("uv tool", "tool-install", ["ruff"])
    rec = one("uv sync --frozen --no-dev")
    assert (rec.action, rec.requirements) == ("sync", ())


# --------------------------------------------------------------------------- conda


def test_conda_install_channels_and_pins():
    rec = one("conda install -c pytorch -c nvidia pytorch=2.1.0 pytorch-cuda=12.1 -y")
    assert (rec.manager, rec.tool, rec.action) == ("conda", "conda", "install")
    assert rec.channels == ("pytorch", "nvidia")
    torch, cuda = rec.requirements
    assert (torch.name, torch.exact_version, torch.specifier) == ("pytorch", "2.1.0", "==2.1.0")
    assert (cuda.name, cuda.exact_version, cuda.wildcard, cuda.specifier) == ("pytorch-cuda", None, True, "==12.1.*")
    assert ("--yes", None) in rec.options
    assert rec.constraint_files == () and rec.index_url is None and not rec.no_cache


def test_mamba_env_create():
    rec = one("mamba env create -f environment.yml")
    assert (rec.manager, rec.tool, rec.action, rec.env_files) == ("conda", "mamba", "env-create", ("environment.yml",))
    rec = one("conda env update --prune -n base --file env.yaml")
    assert (rec.action, rec.env_files) == ("env-update", ("env.yaml",))


def test_micromamba_install():
    rec = one("micromamba install -y -n base -c conda-forge python=3.11")
    assert (rec.manager, rec.tool) == ("conda", "micromamba")
    assert rec.channels == ("conda-forge",) and ("--name", "base") in rec.options
    (py,) = rec.requirements
    assert (py.name, py.exact_version, py.wildcard) == ("python", None, True)


def test_conda_create_files_and_channel_prefix():
    rec = one("/opt/conda/bin/conda create -p /opt/env --file spec.txt conda-forge::numpy==1.26.4 'scipy>=1.10,<2' --override-channels")
    assert rec.tool == "/opt/conda/bin/conda" and rec.action == "create"
    assert rec.requirement_files == ("spec.txt",)
    assert rec.channels == ("conda-forge",)
    numpy, scipy = rec.requirements
    assert (numpy.channel, numpy.exact_version) == ("conda-forge", "1.26.4")
    assert (scipy.specifier, scipy.exact_version) == (">=1.10,<2", None)
    assert ("--override-channels", None) in rec.options


def test_conda_remove_and_update_aliases():
    assert one("conda uninstall -y x").action == "remove"
    rec = one("conda upgrade --all")
    assert rec.action == "update" and rec.upgrade


# --------------------------------------------------------------------------- OS packages


def test_apt_get_options_with_values():
    rec = one(
        "apt-get install -y -q -o Dpkg::Options::=--force-confold -t bookworm-backports --no-install-recommends "
        "cuda-toolkit-12-2 nvidia-driver-535=535.104.05-0ubuntu1 libc6:i386 linux-headers/bookworm-backports"
    )
    assert (rec.manager, rec.tool, rec.action) == ("apt", "apt-get", "install")
    assert names(rec) == ["cuda-toolkit-12-2", "nvidia-driver-535", "libc6", "linux-headers"]
    assert rec.requirements[1].exact_version == "535.104.05-0ubuntu1"
    assert rec.requirements[3].channel == "bookworm-backports"
    assert ("--option", "Dpkg::Options::=--force-confold") in rec.options
    assert ("--target-release", "bookworm-backports") in rec.options


def test_apt_and_aptitude():
    assert one("apt install -y curl").tool == "apt"
    assert one("aptitude install -y curl").manager == "apt"
    assert names(one("apt-get -y install Curl")) == ["curl"]


def test_yum_dnf_microdnf():
    rec = one("yum install -y x")
    assert (rec.manager, rec.tool, rec.action, names(rec)) == ("yum", "yum", "install", ["x"])
    rec = one("dnf install -y --setopt=install_weak_deps=False --enablerepo crb cuda-toolkit-12-2 libcudnn8-8.9.0.131-1.cuda12.1")
    assert names(rec) == ["cuda-toolkit-12-2", "libcudnn8"]
    assert rec.requirements[1].exact_version == "8.9.0.131-1.cuda12.1"
    assert one("microdnf install -y x").manager == "yum"
    assert one("yum erase -y x").action == "remove"


def test_apk_add():
    rec = one("apk add --no-cache --virtual .build-deps gcc py3-numpy=1.26.4-r0")
    assert (rec.manager, rec.action, rec.no_cache) == ("apk", "install", True)
    assert names(rec) == ["gcc", "py3-numpy"]
    assert rec.requirements[1].exact_version == "1.26.4-r0"
    assert not one("apk add x").no_cache


# --------------------------------------------------------------------------- pip requirement parsing


def test_exact_local_version():
    r = parse_pip_requirement("torch==2.1.0+cu118")
    assert (r.name, r.exact_version, r.local_version, r.wildcard, r.error) == ("torch", "2.1.0+cu118", "cu118", False, None)


def test_range_and_wildcard():
    r = parse_pip_requirement("torch>=2.0")
    assert (r.specifier, r.exact_version, r.wildcard) == (">=2.0", None, False)
    r = parse_pip_requirement("tensorflow==2.16.*")
    assert (r.specifier, r.exact_version, r.wildcard) == ("==2.16.*", None, True)
    assert parse_pip_requirement("x===1.0-weird").exact_version == "1.0-weird"
    assert parse_pip_requirement("x~=1.4").exact_version is None
    assert parse_pip_requirement("torch").specifier == ""


def test_vcs_commit():
    sha = "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0"
    r = parse_pip_requirement(f"git+https://github.com/NVIDIA/apex.git@{sha}#egg=apex")
    assert (r.name, r.vcs, r.vcs_ref, r.vcs_commit) == ("apex", "git", sha, True)
    assert r.url.startswith("git+https://") and r.exact_version is None


def test_vcs_branch_and_name_fallback():
    r = parse_pip_requirement("git+https://github.com/org/repo@main")
    assert (r.name, r.vcs_ref, r.vcs_commit) == ("repo", "main", False)
    r = parse_pip_requirement("git+https://github.com/org/repo.git")
    assert (r.name, r.vcs_ref) == ("repo", None)
    assert not parse_pip_requirement("git+https://github.com/org/repo@a1b2c3d").vcs_commit  # short hash
    r = parse_pip_requirement("git+ssh://git@github.com/org/private.git@v2.0")
    assert (r.name, r.vcs_ref) == ("private", "v2.0")


def test_named_vcs_reference():
    r = parse_pip_requirement("flash_attn @ git+https://github.com/Dao-AILab/flash-attention@v2.5.6")
    assert (r.name, r.vcs, r.vcs_ref) == ("flash-attn", "git", "v2.5.6")


def test_wheel_url():
    r = parse_pip_requirement("https://download.pytorch.org/whl/cu118/torch-2.0.1%2Bcu118-cp310-cp310-linux_x86_64.whl")
    assert (r.name, r.exact_version, r.local_version) == ("torch", "2.0.1+cu118", "cu118")
    assert r.url.startswith("https://") and r.path is None and r.error is None


def test_sdist_url_and_bare_url_without_name():
    r = parse_pip_requirement("https://files.example/pkgs/My_Pkg-1.2.tar.gz")
    assert (r.name, r.exact_version) == ("my-pkg", "1.2")
    r = parse_pip_requirement("https://github.com/org/repo/archive/main.zip")
    assert r.name is None and r.url and r.error is None


def test_local_paths():
    assert parse_pip_requirement("./local_pkg").path == "./local_pkg"
    assert parse_pip_requirement("..").path == ".."
    r = parse_pip_requirement("/wheels/flash_attn-2.5.6+cu122-cp310-cp310-linux_x86_64.whl")
    assert (r.path, r.name, r.exact_version, r.local_version) == (r.raw, "flash-attn", "2.5.6+cu122", "cu122")
    r = parse_pip_requirement("dist/pkg-1.0-py3-none-any.whl")
    assert (r.path, r.name) == ("dist/pkg-1.0-py3-none-any.whl", "pkg")
    r = parse_pip_requirement(".[dev,Test]")
    assert (r.path, r.extras) == (".", ("dev", "test"))
    r = parse_pip_requirement("file:///wheels/x-1.0-py3-none-any.whl")
    assert r.path == r.url == r.raw and r.name == "x"


def test_editable_local_path_via_command():
    (r,) = one("pip install -e .").requirements
    assert r.editable and r.path == "."


def test_extras_and_markers():
    r = parse_pip_requirement("jax[cuda12]==0.4.30")
    assert (r.name, r.extras, r.exact_version) == ("jax", ("cuda12",), "0.4.30")
    r = parse_pip_requirement('torch>=2 ; python_version >= "3.9"')
    assert r.marker == 'python_version >= "3.9"' and r.specifier == ">=2"


def test_name_normalisation():
    # PEP 503: runs of -_. become "-"; "Torch_Vision" is the distinct project "torch-vision".
    r = parse_pip_requirement("Torch_Vision==0.15")
    assert (r.name, r.exact_version) == ("torch-vision", "0.15")
    assert parse_pip_requirement("TorchVision").name == "torchvision"
    assert parse_pip_requirement("ruamel.yaml").name == "ruamel-yaml"


def test_garbage_gives_error_records():
    rec = one("pip install '==' ]]")
    assert len(rec.requirements) == 2
    assert all(r.name is None and r.error for r in rec.requirements)


def test_unresolved_variables():
    r = parse_pip_requirement("torch==${TORCH_VERSION}")
    assert (r.name, r.specifier, r.exact_version, r.error) == ("torch", "==${TORCH_VERSION}", None, UNRESOLVED)
    r = parse_pip_requirement("torch==${TORCH}+cu121")
    assert (r.name, r.local_version, r.exact_version) == ("torch", "cu121", None)
    r = parse_pip_requirement("$PACKAGES")
    assert (r.name, r.specifier, r.error) == (None, "", UNRESOLVED)
    r = parse_pip_requirement("torch${SUFFIX}==1")
    assert (r.name, r.error) == (None, UNRESOLVED)
    r = parse_pip_requirement("https://h/torch-${V}-cp310-cp310-linux_x86_64.whl")
    assert (r.name, r.exact_version, r.error) == ("torch", None, UNRESOLVED)
    r = parse_pip_requirement("torch==$(cat /v)")
    assert (r.name, r.error) == ("torch", UNRESOLVED)


def test_variable_in_loop_and_exec_form():
    rec = one("for p in a b; do pip install $p; done")
    assert rec.requirements[0].error == UNRESOLVED
    (rec,) = install_records(split_exec_form(["/bin/sh", "-c", "pip install --no-cache-dir torch"]))
    assert rec.no_cache and names(rec) == ["torch"] and rec.command.via == "sh -c"


def test_if_and_heredoc_script():
    script = "set -e\nif [ -n \"$CUDA\" ]; then\n  pip install \\\n    torch==2.1.0+cu118\nfi\ncat <<EOF >/tmp/r\npip install not-this\nEOF\n"
    (rec,) = records(script, heredoc=True)
    assert rec.requirements[0].local_version == "cu118"


# --------------------------------------------------------------------------- conda / OS spec parsing


@pytest.mark.parametrize(
    "spec, name, specifier, exact, wildcard",
    [
        ("numpy", "numpy", "", None, False),
        ("numpy=1.26.4", "numpy", "==1.26.4", "1.26.4", False),
        ("numpy=1.26", "numpy", "==1.26.*", None, True),
        ("numpy==1.26", "numpy", "==1.26", "1.26", False),
        ("numpy=1.26.*", "numpy", "==1.26.*", None, True),
        ("numpy>=1.2", "numpy", ">=1.2", None, False),
        ("numpy>=1.2,<2", "numpy", ">=1.2,<2", None, False),
        ("pytorch=2.1.0=py3.10_cuda11.8_cudnn8.7.0_0", "pytorch", "==2.1.0", "2.1.0", False),
        ("cudatoolkit=11.8=h4ba93d1_12", "cudatoolkit", "==11.8", "11.8", False),
        ("conda-forge::Ruamel.YAML=0.17", "ruamel-yaml", "==0.17.*", None, True),
        ("numpy[version='>=1.2']", "numpy", ">=1.2", None, False),
        ("numpy 1.11.0 py36_0", "numpy", "==1.11.0", "1.11.0", False),
    ],
)
def test_conda_specs(spec, name, specifier, exact, wildcard):
    r = parse_conda_spec(spec)
    assert (r.name, r.specifier, r.exact_version, r.wildcard, r.error) == (name, specifier, exact, wildcard, None)
    assert r.raw == spec


def test_conda_spec_errors():
    assert parse_conda_spec("=1.0").error
    assert parse_conda_spec("pytorch=${TORCH}").error == UNRESOLVED
    assert parse_conda_spec("pytorch=${TORCH}").exact_version is None


def test_os_package_variables():
    r = parse_os_package("nvidia-driver-${DRIVER}", "apt")
    assert (r.name, r.error) == (None, UNRESOLVED)
    r = parse_os_package("cuda-toolkit=${V}", "apt")
    assert (r.name, r.exact_version, r.error) == ("cuda-toolkit", None, UNRESOLVED)


def test_os_package_files():
    r = parse_os_package("./cuda-keyring_1.1-1_all.deb", "apt")
    assert (r.name, r.exact_version, r.path) == ("cuda-keyring", "1.1-1", "./cuda-keyring_1.1-1_all.deb")
    r = parse_os_package("https://h/epel-release-8-19.el8.noarch.rpm", "yum")
    assert r.url and r.name == "epel-release"


# --------------------------------------------------------------------------- robustness


def test_unterminated_quote_does_not_raise():
    rec = one("pip install 'torch==2.1")
    assert rec.requirements[0].name == "torch"


_WORDS = st.sampled_from(
    ["pip", "install", "-r", "-e", "-c", "--index-url", "-i", "-U", "--", "=", "==", "[", "]", "@", "git+", "#egg=",
     "https://", "file:", ".", "/", "$", "${", "`", "::", ";", ",", "torch", "1.0", "*", "+cu118", ".whl", ".tar.gz",
     "-y", "-n", "-f", "--file", "env", "create", "=1.2=b", "~", "-o", "-t"]
)
_ARGS = st.lists(st.lists(_WORDS, max_size=4).map("".join) | st.text(max_size=12), max_size=10)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["pip", "python3 -m pip", "uv", "uv pip", "conda", "mamba env", "apt-get", "dnf", "apk"]), _ARGS)
def test_fuzz_installer_arguments_never_raise(prefix, args):
    argv = tuple(prefix.split()) + tuple(args)
    rec = _record(SimpleCommand(argv, (), 0, " ".join(argv)))  # no safety net here
    if rec is not None:
        assert all(isinstance(r.raw, str) for r in rec.requirements)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(), st.booleans())
def test_fuzz_arbitrary_text_never_raises(text, heredoc):
    for cmd in _split(text, heredoc=heredoc):  # no safety nets on either side
        _record(cmd)
    install_records(split_script("pip install " + text, heredoc=heredoc))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_fuzz_requirement_parsers_never_raise(text):
    from mllint import requirement_specs as installs

    installs._parse_pip(text, False)
    installs._parse_conda(text)
    for manager in ("apt", "yum", "apk"):
        installs._parse_os(text, manager)


def test_large_install_lists_are_fast():
    pkgs = " ".join(f"pkg{i}==1.{i}" for i in range(20_000))
    start = time.perf_counter()
    (rec,) = records(f"pip install --no-cache-dir {pkgs}")
    assert len(rec.requirements) == 20_000
    chain = " && ".join(f"pip install --frob{i} p{i}" for i in range(10_000))
    assert len(records(chain)) == 10_000
