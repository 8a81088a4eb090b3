/* ELF64 kernel validation: every check a loader needs before it trusts any
 * byte of the file, with overflow-checked arithmetic. Pure function over a
 * buffer: used by the loader and fuzzed on the host. */
#ifndef PAGODA_ELFCHECK_H
#define PAGODA_ELFCHECK_H

#include "types.h"

#define ELF_MAX_SEGMENTS     16            /* PT_LOADs; a kernel has 3-5 */
#define ELF_MAX_PHDRS        64            /* all program headers, bounds the scan */
#define ELF_MAX_IMAGE_BYTES  (1ULL << 30)  /* "sane size": no kernel needs more */
/* Where a position-independent (ET_DYN) kernel linked in the lower half
 * runs: its link addresses plus this slide, as the Limine reference loader
 * places such kernels without KASLR (a PIE linked at 0 starts here, the
 * start of the top 2 GiB, where Pagoda's own kernel is linked too). An
 * ET_DYN already linked in the higher half runs where it is linked. */
#define ELF_PIE_BASE         0xFFFFFFFF80000000ULL

/* Each failure has its own code and message (elf_strerror), so a user, and
 * a test, can tell them apart. Append only. When a file has several
 * problems, the first one in this order is reported (checks run top to
 * bottom, PT_LOADs in table order; the set-wide checks OVERLAP, the image
 * span part of SEG_TOO_BIG, and ENTRY run after every PT_LOAD passed). */
enum elf_error {
    ELF_OK = 0,
    ELF_ERR_EMPTY,            /* zero-length file */
    ELF_ERR_TRUNCATED,        /* shorter than the ELF header */
    ELF_ERR_MAGIC,            /* not \x7fELF */
    ELF_ERR_CLASS,            /* not ELFCLASS64 */
    ELF_ERR_ENDIAN,           /* not little-endian */
    ELF_ERR_VERSION,          /* e_ident version / e_version not EV_CURRENT */
    ELF_ERR_MACHINE,          /* not EM_X86_64 */
    ELF_ERR_TYPE,             /* neither ET_EXEC nor ET_DYN */
    ELF_ERR_PHENTSIZE,        /* e_phentsize < sizeof(Elf64_Phdr) */
    ELF_ERR_PHNUM,            /* no program headers, PN_XNUM, or > ELF_MAX_PHDRS */
    ELF_ERR_PHDRS_OUTSIDE,    /* program-header table outside the file */
    ELF_ERR_NO_LOAD,          /* no non-empty PT_LOAD */
    ELF_ERR_TOO_MANY_LOADS,   /* more than ELF_MAX_SEGMENTS PT_LOADs */
    ELF_ERR_FILESZ_GT_MEMSZ,  /* p_filesz > p_memsz */
    ELF_ERR_SEG_OUTSIDE,      /* p_offset + p_filesz past EOF or wrapping */
    ELF_ERR_ALIGN,            /* p_align not 0, 1 or a power of two */
    ELF_ERR_VADDR_WRAP,       /* p_vaddr + p_memsz, rounded up to a page, wraps */
    ELF_ERR_NONCANONICAL,     /* segment not canonical (48-bit) */
    ELF_ERR_LOWER_HALF,       /* segment not in the higher half */
    ELF_ERR_OFFSET_MISMATCH,  /* p_vaddr and p_offset disagree modulo the page size */
    ELF_ERR_SEG_TOO_BIG,      /* p_memsz or the image span > ELF_MAX_IMAGE_BYTES */
    ELF_ERR_OVERLAP,          /* two PT_LOADs share a page */
    ELF_ERR_WX,               /* a segment both writable and executable */
    ELF_ERR_ENTRY,            /* entry point not in the file bytes of a PF_X PT_LOAD */
    ELF_ERR_INTERP,           /* a PT_INTERP: the file wants a dynamic linker */
    ELF_ERR_DYNAMIC,          /* several PT_DYNAMICs, an empty one, or one not inside a PT_LOAD */
    /* Relocation errors (shared/elf_reloc.c, include/elf_reloc.h): */
    ELF_ERR_DYN_MALFORMED,    /* dynamic table: no DT_NULL, a tag twice, a table without its size */
    ELF_ERR_DYN_NEEDED,       /* DT_NEEDED: the kernel needs a shared library */
    ELF_ERR_RELOC_KIND,       /* DT_REL/DT_RELSZ or DT_PLTREL != DT_RELA (implicit addends) */
    ELF_ERR_RELOC_ENTSIZE,    /* DT_RELAENT, DT_RELRENT or DT_SYMENT not the ELF64 size */
    ELF_ERR_RELOC_TABLE,      /* a relocation, symbol or string table outside the image, or a size not whole entries */
    ELF_ERR_RELOC_TYPE,       /* a relocation type the loader does not apply */
    ELF_ERR_RELOC_TARGET,     /* a relocation writes outside the loaded image */
    ELF_ERR_RELOC_SYMBOL,     /* symbol index outside the symbol table, or no DT_SYMTAB */
    ELF_ERR_RELOC_UNDEFINED,  /* a relocation names a symbol the image does not define */
    ELF_ERR_RELR,             /* a RELR bitmap word before any address word */
    ELF_ERR_COUNT
};
/* elf_validate returns codes below this one, elf_relocate any code. */
#define ELF_ERR_RELOC_FIRST ELF_ERR_DYN_MALFORMED

struct elf_segment {
    vaddr_t vaddr;       /* p_vaddr */
    uint64_t memsz;      /* > 0 */
    uint64_t filesz;     /* <= memsz; [offset, offset+filesz) is inside the file */
    uint64_t offset;     /* offset % PAGE_SIZE == vaddr % PAGE_SIZE */
    uint32_t flags;      /* PF_R | PF_W | PF_X, never both PF_W and PF_X */
};

/* Addresses below are run-time ones: link address + slide. */
struct elf_image {
    uint16_t type;       /* ET_EXEC or ET_DYN */
    uint64_t slide;      /* run-time minus link-time address: 0 for ET_EXEC */
    vaddr_t dyn;         /* PT_DYNAMIC, inside one segment; dyn_size 0 = none */
    uint64_t dyn_size;
    vaddr_t entry;
    vaddr_t lo, hi;      /* page-aligned span [lo, hi) of all PT_LOADs */
    size_t nsegs;        /* 1..ELF_MAX_SEGMENTS */
    struct elf_segment segs[ELF_MAX_SEGMENTS];  /* sorted by vaddr; no two touch the same page */
};

/* Validate `size` bytes at `file` (any alignment). Never reads outside
 * [file, file+size); `file` may be NULL when size is 0. On ELF_OK fills
 * *out with the non-empty PT_LOADs, slid (ELF_PIE_BASE) for an ET_DYN
 * linked in the lower half; p_memsz == 0 ones map nothing: only their
 * p_filesz (0) is checked, and they are dropped. On failure *out is zeroed.
 * Guarantees on ELF_OK: every segment is in the higher half, below the top
 * page, inside ELF_MAX_IMAGE_BYTES, the entry lies in the file-backed part
 * of a PF_X segment, and a PT_DYNAMIC lies inside one segment. Relocations
 * are not looked at here: they live in the loaded image
 * (include/elf_reloc.h). */
enum elf_error elf_validate(const void *file, size_t size, struct elf_image *out);

/* One line naming the problem ("p_filesz > p_memsz in a PT_LOAD"). Never
 * NULL. tests/boot/mkbadelf.py matches these strings: change both. */
const char *elf_strerror(enum elf_error err);

#endif
