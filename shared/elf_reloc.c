/* ELF64 dynamic relocations of a loaded kernel image (include/elf_reloc.h).
 *
 * The tables are untrusted bytes inside the image. Every read goes
 * through view_range (offset and length inside the view, no wrap) and
 * memcpy (the tables need not be aligned); every write too. The
 * parser runs twice with the same checks, the first time writing nothing,
 * so that a table the loader refuses leaves the image as it was copied.
 *
 * Link-time addresses become run-time ones by adding the slide modulo
 * 2^64, as the relocated code itself computes them; view_range then
 * decides whether the result lies in the image, so an address below the
 * image wraps to a huge offset and is refused like one above it.
 */
#include <elf.h>

#include "elf_reloc.h"

/* RELR (generic ABI, 2022): older <elf.h> lack the tags. */
#ifndef DT_RELR
#define DT_RELRSZ  35
#define DT_RELR    36
#define DT_RELRENT 37
#endif

#define RELR_BITS_PER_BITMAP 63   /* bit 0 marks the bitmap; bits 1..63 are words */

enum pass { PASS_CHECK, PASS_APPLY };

/* The dynamic tags acted on, each allowed once. */
enum dyn_slot {
    D_RELA, D_RELASZ, D_RELAENT,
    D_JMPREL, D_PLTRELSZ, D_PLTREL,
    D_RELR, D_RELRSZ, D_RELRENT,
    D_SYMTAB, D_SYMENT, D_STRTAB, D_STRSZ,
    D_COUNT
};

struct dyn_tags {
    bool has[D_COUNT];
    uint64_t val[D_COUNT];
};

/* A table inside the view: entries at base[off + i * entsize]. */
struct table {
    uint64_t off, count;
};

struct relocator {
    const struct elf_reloc_view *v;
    enum pass pass;
    struct table syms;               /* count 0: no DT_SYMTAB */
    bool has_strtab;
    struct table strs;               /* count = DT_STRSZ bytes */
    struct elf_reloc_report *report;
};

/* ---- the view ------------------------------------------------------------ */

/* [run, run + len) inside the view: its offset in *off. */
static bool view_range(const struct elf_reloc_view *v, uint64_t run, uint64_t len, uint64_t *off)
{
    uint64_t o = run - v->lo;   /* below lo: wraps to a huge offset */

    if (o > v->size || len > v->size - o)
        return false;
    *off = o;
    return true;
}

static uint64_t read64(const struct elf_reloc_view *v, uint64_t off)
{
    uint64_t x;

    __builtin_memcpy(&x, v->base + off, sizeof(x));
    return x;
}

struct elf_reloc_view elf_reloc_view_of(const struct elf_image *img, void *base)
{
    return (struct elf_reloc_view){ .base = base, .lo = img->lo, .size = img->hi - img->lo,
                                    .slide = img->slide };
}

/* ---- the dynamic table ----------------------------------------------------- */

static int slot_of(int64_t tag)
{
    switch (tag) {
    case DT_RELA:     return D_RELA;
    case DT_RELASZ:   return D_RELASZ;
    case DT_RELAENT:  return D_RELAENT;
    case DT_JMPREL:   return D_JMPREL;
    case DT_PLTRELSZ: return D_PLTRELSZ;
    case DT_PLTREL:   return D_PLTREL;
    case DT_RELR:     return D_RELR;
    case DT_RELRSZ:   return D_RELRSZ;
    case DT_RELRENT:  return D_RELRENT;
    case DT_SYMTAB:   return D_SYMTAB;
    case DT_SYMENT:   return D_SYMENT;
    case DT_STRTAB:   return D_STRTAB;
    case DT_STRSZ:    return D_STRSZ;
    default:          return -1;   /* DT_HASH, DT_FLAGS, DT_TEXTREL...: nothing to do */
    }
}

/* A table's address tag comes with its size tag (and the reverse), and
 * its entry-size tag says the ELF64 size. */
static enum elf_error check_table_tags(const struct dyn_tags *d, int addr, int size, int ent,
                                       uint64_t entsize)
{
    if (d->has[addr] != d->has[size] || (d->has[addr] && !d->has[ent]))
        return ELF_ERR_DYN_MALFORMED;
    if (d->has[ent] && d->val[ent] != entsize)
        return ELF_ERR_RELOC_ENTSIZE;
    return ELF_OK;
}

static enum elf_error check_tags(const struct dyn_tags *d)
{
    enum elf_error err;

    if ((err = check_table_tags(d, D_RELA, D_RELASZ, D_RELAENT, sizeof(Elf64_Rela))) != ELF_OK ||
        (err = check_table_tags(d, D_RELR, D_RELRSZ, D_RELRENT, sizeof(Elf64_Addr))) != ELF_OK ||
        (err = check_table_tags(d, D_SYMTAB, D_SYMENT, D_SYMENT, sizeof(Elf64_Sym))) != ELF_OK)
        return err;
    /* DT_JMPREL's "entry size" is DT_PLTREL: which kind of entries. */
    if (d->has[D_JMPREL] != d->has[D_PLTRELSZ] || (d->has[D_JMPREL] && !d->has[D_PLTREL]))
        return ELF_ERR_DYN_MALFORMED;
    if (d->has[D_PLTREL] && d->val[D_PLTREL] != DT_RELA)
        return ELF_ERR_RELOC_KIND;
    if (d->has[D_STRTAB] != d->has[D_STRSZ])
        return ELF_ERR_DYN_MALFORMED;
    return ELF_OK;
}

/* Collect the tags up to DT_NULL, which must come before the end. */
static enum elf_error read_dynamic(const struct elf_reloc_view *v, vaddr_t dyn, uint64_t dyn_size,
                                   struct dyn_tags *d)
{
    uint64_t off;

    if (!view_range(v, dyn, dyn_size, &off))
        return ELF_ERR_DYNAMIC;
    for (uint64_t i = 0; i < dyn_size / sizeof(Elf64_Dyn); i++) {
        Elf64_Dyn e;
        __builtin_memcpy(&e, v->base + off + i * sizeof(e), sizeof(e));
        if (e.d_tag == DT_NULL)
            return check_tags(d);
        if (e.d_tag == DT_NEEDED)
            return ELF_ERR_DYN_NEEDED;
        if (e.d_tag == DT_REL || e.d_tag == DT_RELSZ || e.d_tag == DT_RELENT)
            return ELF_ERR_RELOC_KIND;
        int s = slot_of(e.d_tag);
        if (s < 0)
            continue;
        if (d->has[s])
            return ELF_ERR_DYN_MALFORMED;
        d->has[s] = true;
        d->val[s] = e.d_un.d_val;
    }
    return ELF_ERR_DYN_MALFORMED;
}

/* The table at link address d_ptr of `bytes` bytes, a whole number of
 * `entsize` entries, inside the view. Absent: an empty table. */
static enum elf_error open_table(const struct relocator *rl, const struct dyn_tags *d, int addr,
                                 int size, uint64_t entsize, struct table *t)
{
    *t = (struct table){ 0, 0 };
    if (!d->has[addr])
        return ELF_OK;
    if (d->val[size] % entsize != 0 ||
        !view_range(rl->v, d->val[addr] + rl->v->slide, d->val[size], &t->off))
        return ELF_ERR_RELOC_TABLE;
    t->count = d->val[size] / entsize;
    return ELF_OK;
}

/* The symbol table has no size tag: it may run to the end of the view. */
static enum elf_error open_symbols(struct relocator *rl, const struct dyn_tags *d)
{
    rl->syms = (struct table){ 0, 0 };
    rl->has_strtab = false;
    if (d->has[D_SYMTAB]) {
        if (!view_range(rl->v, d->val[D_SYMTAB] + rl->v->slide, 0, &rl->syms.off))
            return ELF_ERR_RELOC_TABLE;
        rl->syms.count = (rl->v->size - rl->syms.off) / sizeof(Elf64_Sym);
    }
    if (d->has[D_STRTAB]) {
        if (!view_range(rl->v, d->val[D_STRTAB] + rl->v->slide, d->val[D_STRSZ], &rl->strs.off))
            return ELF_ERR_RELOC_TABLE;
        rl->strs.count = d->val[D_STRSZ];
        rl->has_strtab = true;
    }
    return ELF_OK;
}

/* ---- symbols and writes ---------------------------------------------------------- */

/* The name at st_name, cut at the string table's end or the report's size. */
static void copy_name(const struct relocator *rl, uint32_t st_name)
{
    char *out = rl->report->symbol;
    size_t n = 0;

    if (rl->has_strtab && st_name < rl->strs.count) {
        const uint8_t *s = rl->v->base + rl->strs.off + st_name;
        uint64_t avail = rl->strs.count - st_name;
        for (; n < avail && n < ELF_RELOC_NAME_MAX - 1 && s[n] != '\0'; n++)
            out[n] = (char)s[n];
    }
    out[n] = '\0';
}

static enum elf_error symbol_value(const struct relocator *rl, uint32_t index, uint64_t *value)
{
    Elf64_Sym sym;

    *value = 0;
    if (index == STN_UNDEF)          /* S = 0 by definition */
        return ELF_OK;
    if (index >= rl->syms.count)
        return ELF_ERR_RELOC_SYMBOL;
    __builtin_memcpy(&sym, rl->v->base + rl->syms.off + (uint64_t)index * sizeof(sym), sizeof(sym));
    if (sym.st_shndx == SHN_UNDEF) {
        if (ELF64_ST_BIND(sym.st_info) == STB_WEAK)   /* gABI: an undefined weak symbol is 0 */
            return ELF_OK;
        copy_name(rl, sym.st_name);
        return ELF_ERR_RELOC_UNDEFINED;
    }
    *value = sym.st_shndx == SHN_ABS ? sym.st_value : sym.st_value + rl->v->slide;
    return ELF_OK;
}

/* The view offset of the 8 bytes at link address `where`. */
static enum elf_error target(const struct relocator *rl, uint64_t where, uint64_t *off)
{
    return view_range(rl->v, where + rl->v->slide, sizeof(uint64_t), off) ? ELF_OK
                                                                           : ELF_ERR_RELOC_TARGET;
}

static void write64(const struct relocator *rl, uint64_t off, uint64_t value)
{
    if (rl->pass == PASS_APPLY)
        __builtin_memcpy(rl->v->base + off, &value, sizeof(value));
}

/* ---- the tables -------------------------------------------------------------------- */

static enum elf_error apply_rela(const struct relocator *rl, const Elf64_Rela *r)
{
    uint32_t type = (uint32_t)ELF64_R_TYPE(r->r_info);
    uint64_t off, s;
    enum elf_error err;

    switch (type) {
    case R_X86_64_NONE:
        return ELF_OK;
    case R_X86_64_RELATIVE:
    case R_X86_64_64:
    case R_X86_64_GLOB_DAT:
    case R_X86_64_JUMP_SLOT:
        break;
    default:
        rl->report->bad_type = type;
        return ELF_ERR_RELOC_TYPE;
    }
    if ((err = target(rl, r->r_offset, &off)) != ELF_OK)
        return err;
    if (type == R_X86_64_RELATIVE) {
        write64(rl, off, rl->v->slide + (uint64_t)r->r_addend);
        return ELF_OK;
    }
    if ((err = symbol_value(rl, (uint32_t)ELF64_R_SYM(r->r_info), &s)) != ELF_OK)
        return err;
    write64(rl, off, type == R_X86_64_64 ? s + (uint64_t)r->r_addend : s);
    return ELF_OK;
}

/* Entries are read one at a time from the image: an earlier relocation
 * may have changed a later one, which is then checked as it now is. */
static enum elf_error apply_rela_table(const struct relocator *rl, struct table t)
{
    for (uint64_t i = 0; i < t.count; i++) {
        Elf64_Rela r;
        __builtin_memcpy(&r, rl->v->base + t.off + i * sizeof(r), sizeof(r));
        enum elf_error err = apply_rela(rl, &r);
        if (err != ELF_OK)
            return err;
        rl->report->rela++;
    }
    return ELF_OK;
}

/* One RELR address: the word there holds its link-time value. */
static enum elf_error relr_one(const struct relocator *rl, uint64_t where)
{
    uint64_t off;
    enum elf_error err = target(rl, where, &off);

    if (err != ELF_OK)
        return err;
    write64(rl, off, read64(rl->v, off) + rl->v->slide);
    rl->report->relr++;
    return ELF_OK;
}

/* RELR: an even word is an address to relocate, after which `next` is the
 * word past it; an odd word is a bitmap whose bit i (1..63) relocates
 * next + (i - 1) words, after which next moves on by 63 words. */
static enum elf_error apply_relr_table(const struct relocator *rl, struct table t)
{
    uint64_t next = 0;
    bool have_next = false;
    enum elf_error err;

    for (uint64_t i = 0; i < t.count; i++) {
        uint64_t w = read64(rl->v, t.off + i * sizeof(w));
        if ((w & 1) == 0) {
            if ((err = relr_one(rl, w)) != ELF_OK)
                return err;
            next = w + sizeof(uint64_t);
            have_next = true;
            continue;
        }
        if (!have_next)
            return ELF_ERR_RELR;
        for (unsigned bit = 1; bit <= RELR_BITS_PER_BITMAP; bit++) {
            if (((w >> bit) & 1) && (err = relr_one(rl, next + (bit - 1) * sizeof(uint64_t))) != ELF_OK)
                return err;
        }
        next += RELR_BITS_PER_BITMAP * sizeof(uint64_t);
    }
    return ELF_OK;
}

static enum elf_error run_pass(const struct elf_reloc_view *v, vaddr_t dyn, uint64_t dyn_size,
                               enum pass pass, struct elf_reloc_report *report)
{
    struct relocator rl = { .v = v, .pass = pass, .report = report };
    struct dyn_tags d;
    struct table rela, jmprel, relr;
    enum elf_error err;

    __builtin_memset(&d, 0, sizeof(d));
    if ((err = read_dynamic(v, dyn, dyn_size, &d)) != ELF_OK ||
        (err = open_table(&rl, &d, D_RELA, D_RELASZ, sizeof(Elf64_Rela), &rela)) != ELF_OK ||
        (err = open_table(&rl, &d, D_JMPREL, D_PLTRELSZ, sizeof(Elf64_Rela), &jmprel)) != ELF_OK ||
        (err = open_table(&rl, &d, D_RELR, D_RELRSZ, sizeof(uint64_t), &relr)) != ELF_OK ||
        (err = open_symbols(&rl, &d)) != ELF_OK)
        return err;
    if ((err = apply_rela_table(&rl, rela)) != ELF_OK ||
        (err = apply_rela_table(&rl, jmprel)) != ELF_OK)
        return err;
    return apply_relr_table(&rl, relr);
}

enum elf_error elf_relocate(const struct elf_reloc_view *v, vaddr_t dyn, uint64_t dyn_size,
                            struct elf_reloc_report *report)
{
    enum elf_error err;

    __builtin_memset(report, 0, sizeof(*report));
    if (dyn_size == 0)
        return ELF_OK;
    if ((err = run_pass(v, dyn, dyn_size, PASS_CHECK, report)) != ELF_OK)
        return err;
    report->rela = report->relr = 0;    /* the report describes what was applied */
    return run_pass(v, dyn, dyn_size, PASS_APPLY, report);
}
