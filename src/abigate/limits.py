"""Every budget abigate works under, stated once.

Hostile input is normal for a gate: a 1.7 KB zip can describe gigabytes of strings, a symlink can point
through thousands of others, an archive can claim one entry and hold a million. Each reader therefore works
under an explicit budget, and the budgets live here, not as constants scattered through the readers, so
that ``docs/reliability.md`` can list them and a test can lower one to prove what happens when it is hit.

What happens when a budget is hit is part of the contract:

* a budget on an **artifact or member** (this module's :class:`Limits`) becomes a problem on that member or
  artifact (``budget-exceeded`` and friends, reported as ABG005 or ABG001), so the gate never passes what
  it could not fully read, and never hangs or runs out of memory instead;
* a budget on a **user input** (profile, config; the section at the end) is a one-line exit 2.

The numbers sit far above what real artifacts need (measured on the ~350 wheels of ``scripts/realworld.py``,
the PyTorch and TensorFlow wheels among them) and far below what would take minutes or hundreds of MB.
"""

from __future__ import annotations

from abigate._records import Record

__all__ = [
    "BUDGET_EXCEEDED",
    "DEFAULT_LIMITS",
    "MAX_CONFIG_BYTES",
    "MAX_DECODER_MEMORY",
    "MAX_EXTENDS_DEPTH",
    "MAX_EXTENDS_FILES",
    "MAX_FAT_SLICES",
    "MAX_INFLATED_PER_ARTIFACT",
    "MAX_LINK_SIZE",
    "MAX_LD_SO_CONF_FILES",
    "MAX_LINK_STEPS",
    "MAX_LINK_STEPS_PER_ARTIFACT",
    "MAX_LISTED_PROBLEMS",
    "MAX_MEMBERS",
    "MAX_MEMBER_SIZE",
    "MAX_METADATA_SIZE",
    "MAX_NESTED_IN_MEMORY",
    "MAX_NESTING_DEPTH",
    "MAX_PROFILE_BYTES",
    "MAX_RATIO",
    "MAX_RESOLVER_STEPS",
    "MAX_ROOTFS_TEXT_BYTES",
    "MAX_STRINGS_PER_FILE",
    "MAX_STRING_BYTES_PER_FILE",
    "MAX_SYMLINK_HOPS",
    "MAX_TABLE_ENTRIES",
    "MAX_TOML_DEPTH",
    "MAX_TOTAL_SIZE",
    "MAX_WAIVERS",
    "RATIO_MIN_SIZE",
    "BudgetExceeded",
    "Limits",
]

# -- containers: archives, folders, nested archives ---------------------------------------------------------

#: nested archives deeper than this (the artifact itself is depth 0) are reported, not opened.
MAX_NESTING_DEPTH = 4
#: more entries than this in one archive (or folder) is ``too-many-members``. For a zip the entries are
#: counted in the central directory itself, not taken from the end record, which may lie.
MAX_MEMBERS = 250_000
#: a member declaring more uncompressed bytes than this is a ``zip-bomb`` and is not inflated; no member
#: ever delivers more than it declares, so this is also the budget of bytes inflated per member.
MAX_MEMBER_SIZE = 4 << 30
#: members are not inflated once the declared sizes of one archive add up to more than this.
MAX_TOTAL_SIZE = 16 << 30
#: bytes actually inflated for one artifact, nested archives and every member included: past it, members are
#: no longer read (``budget-exceeded``). The 190 MB PyTorch wheel inflates about 0.9 GB.
MAX_INFLATED_PER_ARTIFACT = 16 << 30
#: uncompressed/compressed ratio above which a member (of at least :data:`RATIO_MIN_SIZE`) is a bomb.
#: Deflate's ceiling: a 258-byte match costs at least 2 bits, so no deflate stream inflates beyond 1032:1,
#: and a deflate member declaring more lies about its size. Real wheels reach 1016:1 (onnx 1.23.1 ships
#: 2.5 MB of zeros as test data), so any lower limit flags valid members (bzip2 and lzma go beyond it).
MAX_RATIO = 1032
#: the ratio check is meaningless for tiny members (a 2 KiB run of zeros compresses 200:1).
RATIO_MIN_SIZE = 1 << 20
#: a *compressed* nested archive is inflated to be read at random: up to this size into memory, beyond it
#: into an anonymous temporary file (unlinked at once, gone when closed), so nested archives never hold
#: more than this each in memory. Stored nested archives are a window on the outer file and take neither.
MAX_NESTED_IN_MEMORY = 8 << 20
#: ``WHEEL``, ``METADATA`` and ``RECORD`` files are read whole; beyond this they are reported and skipped.
MAX_METADATA_SIZE = 64 << 20
#: the most memory an LZMA/xz/zstandard decoder may take for the dictionary or window its header declares:
#: above ``xz -9`` (64 MiB) and ``zstd --long`` defaults, far below the 4 GiB a hostile header may claim.
MAX_DECODER_MEMORY = 128 << 20

# -- symlinks ------------------------------------------------------------------------------------------------

#: a symlink member stores its target as content; PATH_MAX bounds a sane one.
MAX_LINK_SIZE = 4096
#: the longest path name a container layer may give a file (Linux's PATH_MAX): a longer one can never be
#: opened or loaded by the target, and walking its folders costs memory that grows with its square.
MAX_PATH_BYTES = 4096
#: symlinks followed while resolving one link before it is called a loop (Linux's MAXSYMLINKS).
MAX_SYMLINK_HOPS = 40
#: path components walked while resolving one link, links expanded included: 40 hops of 4 KiB texts would
#: otherwise be millions of steps. The kernel bounds the same walk by PATH_MAX per text and 40 hops.
MAX_LINK_STEPS = 8192
#: path components walked to resolve every link of one artifact: a zip of 1,000 crafted links stays cheap.
MAX_LINK_STEPS_PER_ARTIFACT = 1 << 20

# -- binaries (ELF, Mach-O, PE) ------------------------------------------------------------------------------

#: strings kept from one binary (DT_NEEDED, RPATH, version names, imported symbols…), each *reference*
#: counted; a string referenced many times is decoded and stored once (interned by its offset).
MAX_STRINGS_PER_FILE = 1 << 20
#: bytes of distinct strings kept from one binary. TensorFlow's libtensorflow_cc.so.2 (447,000 dynamic
#: symbols) keeps a few MB; a crafted file naming one 20 KB string 60,000 times keeps 20 KB.
MAX_STRING_BYTES_PER_FILE = 64 << 20
#: entries walked in one table of one binary (dynamic entries, version records, a hash chain, fat slices,
#: load commands, imports): far above real files, far below what a loop over a hostile count would take.
MAX_TABLE_ENTRIES = 1 << 24
#: slices of one Mach-O fat file (real ones hold 2 or 3); slices sharing an offset are read once.
MAX_FAT_SLICES = 30

# -- resolution ----------------------------------------------------------------------------------------------

#: steps the library resolver may take for one artifact (one lookup of one DT_NEEDED name in one folder is
#: one step): ten libraries that each need all the others through RPATHs to every folder stay cheap.
MAX_RESOLVER_STEPS = 20_000_000


class Limits(Record):
    """The budgets of one scan, each defaulting to the module constant of the same (upper-case) name.

    Tests lower one to prove what happens when it is hit; ``scan_paths`` takes the container ones as
    keyword arguments.
    """

    max_nesting_depth: int = MAX_NESTING_DEPTH
    max_members: int = MAX_MEMBERS
    max_member_size: int = MAX_MEMBER_SIZE
    max_total_size: int = MAX_TOTAL_SIZE
    max_inflated_per_artifact: int = MAX_INFLATED_PER_ARTIFACT
    max_ratio: float = MAX_RATIO
    ratio_min_size: int = RATIO_MIN_SIZE
    max_nested_in_memory: int = MAX_NESTED_IN_MEMORY
    max_metadata_size: int = MAX_METADATA_SIZE
    max_decoder_memory: int = MAX_DECODER_MEMORY
    max_link_size: int = MAX_LINK_SIZE
    max_path_bytes: int = MAX_PATH_BYTES
    max_symlink_hops: int = MAX_SYMLINK_HOPS
    max_link_steps: int = MAX_LINK_STEPS
    max_link_steps_per_artifact: int = MAX_LINK_STEPS_PER_ARTIFACT
    max_strings_per_file: int = MAX_STRINGS_PER_FILE
    max_string_bytes_per_file: int = MAX_STRING_BYTES_PER_FILE
    max_table_entries: int = MAX_TABLE_ENTRIES
    max_fat_slices: int = MAX_FAT_SLICES
    max_resolver_steps: int = MAX_RESOLVER_STEPS


DEFAULT_LIMITS = Limits()

#: the problem kind (``abigate.facts.Problem.kind``) of a budget that was hit; rule ABG005 reports it.
BUDGET_EXCEEDED = "budget-exceeded"


class BudgetExceeded(Exception):
    """A reader hit one of its budgets: what it read so far is partial, and says so.

    ``message`` is one line for a person naming the budget and its value ("more than 1048576 strings…").
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ============================================================================================================
# Input budgets: profiles, configs, `extends` chains, waivers (issue 11, owned by the `i11-inputs` work).
# Hitting one of these is a one-line exit 2 naming the file, never a finding. Add them below this line.
# ============================================================================================================

#: bytes of one profile file. The largest built-in is 9 KB; a profile captured from a full distribution
#: tree with every library's version nodes is a few hundred KB.
MAX_PROFILE_BYTES = 8 << 20
#: bytes of one ``pyproject.toml`` (or ``--config`` file). Real ones are a few KB.
MAX_CONFIG_BYTES = 8 << 20
#: bytes read from one text file of a root filesystem (``os-release``, ``ld.so.conf`` and its includes,
#: musl's path file, Alpine's package database, which is a few MB on a large image).
MAX_ROOTFS_TEXT_BYTES = 16 << 20
#: characters of one ``os-release`` value a profile takes (``ID``, ``VERSION_ID``, ``PRETTY_NAME``): real ones
#: are a few dozen; a longer one is a malformed file (exit 2), not text to copy into a profile twice.
MAX_OS_RELEASE_VALUE = 256
#: ``ld.so.conf`` files read for one root filesystem, includes included (Debian's has about ten); each is
#: read once, known by its path with links followed.
MAX_LD_SO_CONF_FILES = 256
#: nesting of arrays and tables in one TOML document. A profile nests four deep
#: (``libraries."libc.so.6".versions[0]``); Python's recursion limit breaks tomllib at a few hundred.
MAX_TOML_DEPTH = 64
#: profiles in one ``extends`` chain (a profile, its parent, its grandparent…). Built-ins chain two deep.
MAX_EXTENDS_DEPTH = 32
#: distinct profile files one profile may pull in through ``extends``, all branches together.
MAX_EXTENDS_FILES = 256
#: waivers in one ``[tool.abigate]`` table: each is matched against every finding.
MAX_WAIVERS = 5_000
#: problems listed one per line for one file; the rest are counted ("… and 29,995 more").
MAX_LISTED_PROBLEMS = 20
