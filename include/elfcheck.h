/* ELF64 kernel validation: every check a loader needs before it trusts any
 * byte of the file, with overflow-checked arithmetic. Pure function over a
 * buffer: used by the loader and fuzzed on the host. */
#ifndef PAGODA_ELFCHECK_H
#define PAGODA_ELFCHECK_H

#include "types.h"

#define ELF_MAX_SEGMENTS     16
#define ELF_MAX_IMAGE_BYTES  (1ULL << 30)  /* "sane size": no kernel needs more */

/* Each failure has its own code and message (elf_strerror), so a user, and
 * a test, can tell them apart. Append only. */
enum elf_error {
    ELF_OK = 0,
    ELF_ERR_EMPTY,            /* zero-length file */
    ELF_ERR_TRUNCATED,        /* shorter than the ELF header */
    ELF_ERR_MAGIC,            /* not \x7fELF */
    ELF_ERR_CLASS,            /* not ELFCLASS64 */
    ELF_ERR_ENDIAN,           /* not little-endian */
    ELF_ERR_VERSION,          /* e_ident version / e_version not EV_CURRENT */
    ELF_ERR_MACHINE,          /* not EM_X86_64 */
    ELF_ERR_TYPE,             /* not ET_EXEC */
    ELF_ERR_PHENTSIZE,        /* e_phentsize < sizeof(Elf64_Phdr) */
    ELF_ERR_PHNUM,            /* no program headers, or too many */
    ELF_ERR_PHDRS_OUTSIDE,    /* program-header table outside the file */
    ELF_ERR_NO_LOAD,          /* no PT_LOAD */
    ELF_ERR_TOO_MANY_LOADS,   /* more than ELF_MAX_SEGMENTS PT_LOADs */
    ELF_ERR_FILESZ_GT_MEMSZ,  /* p_filesz > p_memsz */
    ELF_ERR_SEG_OUTSIDE,      /* p_offset + p_filesz past EOF or wrapping */
    ELF_ERR_ALIGN,            /* p_align not 0 or a power of two, or < 4 KiB */
    ELF_ERR_VADDR_WRAP,       /* p_vaddr + p_memsz wraps */
    ELF_ERR_NONCANONICAL,     /* segment not canonical */
    ELF_ERR_LOWER_HALF,       /* segment not in the higher half */
    ELF_ERR_OFFSET_MISMATCH,  /* p_vaddr and p_offset disagree modulo the page size */
    ELF_ERR_SEG_TOO_BIG,      /* p_memsz or the image span absurd */
    ELF_ERR_OVERLAP,          /* two PT_LOADs share a page */
    ELF_ERR_WX,               /* a segment both writable and executable */
    ELF_ERR_ENTRY,            /* entry point not inside an executable PT_LOAD */
    ELF_ERR_COUNT
};

struct elf_segment {
    vaddr_t vaddr;       /* p_vaddr */
    uint64_t memsz;
    uint64_t filesz;
    uint64_t offset;
    uint32_t flags;      /* PF_R | PF_W | PF_X */
};

struct elf_image {
    vaddr_t entry;
    vaddr_t lo, hi;      /* page-aligned span of all PT_LOADs */
    size_t nsegs;        /* sorted by vaddr */
    struct elf_segment segs[ELF_MAX_SEGMENTS];
};

/* Validate `size` bytes at `file`. On ELF_OK fills *out. Never reads outside
 * [file, file+size). */
enum elf_error elf_validate(const void *file, size_t size, struct elf_image *out);

/* One line naming the problem ("p_filesz > p_memsz in a PT_LOAD"). */
const char *elf_strerror(enum elf_error err);

#endif
