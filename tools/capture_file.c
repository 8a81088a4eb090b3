/* Memory-map capture reader (tools/capture_file.h). One record per line:
 * a keyword, then key=value fields separated by blanks; numbers are decimal
 * or 0x-hex. Order: the magic record first, 'end' last, 'cpu' lines after
 * 'cpus', 'desc' lines after 'memmap'; every other record at most once. */
#include "capture_file.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "memmap_capture.h"

#define LINE_MAX_BYTES  1024          /* the loader writes < 160 */
#define FIELDS_MAX      16
#define DESC_COUNT_MAX  (1u << 20)    /* real maps hold 50-1000 descriptors */
#define DESC_SIZE_MAX   4096          /* a descriptor larger than a page is corrupt */
/* The loader records every CPU MP Services reports (bootinfo.cpu_list has
 * no fixed size); this only bounds what a damaged file can make us allocate,
 * far above any machine's CPU count. */
#define CPU_COUNT_MAX   (1u << 20)
#define REST_OF_LINE    "vendor"      /* the one field whose value may hold blanks */

struct field {
    const char *key, *val;
    bool used;
};

struct record {
    const char *word;
    struct field f[FIELDS_MAX];
    size_t n;
};

struct reader {
    struct capture *c;
    char *err;
    unsigned *err_line;
    unsigned line;
    bool partial;            /* the line read last had no newline: EOF mid-line */
    bool seen_magic, seen_memmap, seen_end;
    size_t descs_read, cpus_read;
};

static int bad(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct reader *r, const char *fmt, ...)
{
    va_list ap;

    *r->err_line = r->line;
    va_start(ap, fmt);
    vsnprintf(r->err, CAPTURE_ERR_MAX, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- fields ------------------------------------------------------------- */

static bool is_blank(char ch) { return ch == ' ' || ch == '\t'; }

static char *skip_blanks(char *s)
{
    while (is_blank(*s))
        s++;
    return s;
}

/* Cut the next blank-separated word out of *s (NUL-terminating it). */
static char *next_word(char **s)
{
    char *w = skip_blanks(*s), *e = w;

    while (*e && !is_blank(*e))
        e++;
    *s = *e ? e + 1 : e;
    *e = '\0';
    return w;
}

static void trim_right(char *s)
{
    size_t n = strlen(s);

    while (n && is_blank(s[n - 1]))
        s[--n] = '\0';
}

static int split_record(struct reader *r, char *s, struct record *rec)
{
    rec->word = next_word(&s);
    rec->n = 0;
    while (*(s = skip_blanks(s))) {
        if (rec->n == FIELDS_MAX)
            return bad(r, "more than %d fields", FIELDS_MAX);
        bool rest = strncmp(s, REST_OF_LINE "=", strlen(REST_OF_LINE) + 1) == 0;
        char *tok = rest ? s : next_word(&s);
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok)
            return bad(r, "expected key=value in '%s', got '%s'", rec->word, tok);
        *eq = '\0';
        for (size_t i = 0; i < rec->n; i++)
            if (strcmp(rec->f[i].key, tok) == 0)
                return bad(r, "'%s' given twice", tok);
        rec->f[rec->n++] = (struct field){ .key = tok, .val = eq + 1 };
        if (rest) {
            trim_right(eq + 1);
            break;
        }
    }
    return 0;
}

static const char *field(struct reader *r, struct record *rec, const char *key)
{
    for (size_t i = 0; i < rec->n; i++)
        if (strcmp(rec->f[i].key, key) == 0) {
            rec->f[i].used = true;
            return rec->f[i].val;
        }
    bad(r, "'%s' has no %s=", rec->word, key);
    return NULL;
}

/* Decimal, or hex after 0x; the whole value, no sign, no overflow. */
static bool parse_u64(const char *s, uint64_t *out)
{
    unsigned base = 10;
    uint64_t v = 0;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return false;
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

static int num(struct reader *r, struct record *rec, const char *key, uint64_t max, uint64_t *out)
{
    const char *v = field(r, rec, key);

    if (!v)
        return -1;
    if (!parse_u64(v, out))
        return bad(r, "%s=%s is not a number", key, v);
    if (*out > max)
        return bad(r, "%s=%s is out of range (max %#llx)", key, v, (unsigned long long)max);
    return 0;
}

static int num32(struct reader *r, struct record *rec, const char *key, uint32_t *out)
{
    uint64_t v;

    if (num(r, rec, key, UINT32_MAX, &v) < 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* Index of `val` in names[0..n), or -1 after an error naming the field. */
static int word(struct reader *r, struct record *rec, const char *key, const char *const names[],
                size_t n)
{
    const char *v = field(r, rec, key);

    if (!v)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(v, names[i]) == 0)
            return (int)i;
    return bad(r, "%s=%s is not a known value", key, v);
}

static int all_fields_used(struct reader *r, const struct record *rec)
{
    for (size_t i = 0; i < rec->n; i++)
        if (!rec->f[i].used)
            return bad(r, "unknown field '%s' in '%s'", rec->f[i].key, rec->word);
    return 0;
}

/* ---- records ------------------------------------------------------------ */

static int rec_magic(struct reader *r, struct record *rec)
{
    uint64_t v;

    if (num(r, rec, "version", UINT32_MAX, &v) < 0)
        return -1;
    if (v != CAPTURE_VERSION)
        return bad(r, "capture version %llu; this replay reads version %d", (unsigned long long)v,
                   CAPTURE_VERSION);
    r->c->version = (unsigned)v;
    return 0;
}

static int rec_firmware(struct reader *r, struct record *rec)
{
    struct capture *c = r->c;
    const char *vendor;

    if (num32(r, rec, "uefi", &c->uefi_revision) < 0 ||
        num32(r, rec, "revision", &c->firmware_revision) < 0 || !(vendor = field(r, rec, "vendor")))
        return -1;
    snprintf(c->vendor, sizeof(c->vendor), "%s", vendor);
    c->has_firmware = true;
    return 0;
}

static int rec_cpuid(struct reader *r, struct record *rec)
{
    static const struct { const char *key; unsigned bit; } bits[] = {
        { "1g", BI_CPU_1G_PAGES }, { "nx", BI_CPU_NX },
        { "la57", BI_CPU_LA57 },   { "x2apic", BI_CPU_X2APIC },
    };
    uint64_t v;

    for (size_t i = 0; i < ARRAY_LEN(bits); i++) {
        if (num(r, rec, bits[i].key, 1, &v) < 0)
            return -1;
        r->c->cpu_features |= v ? bits[i].bit : 0;
    }
    r->c->has_cpuid = true;
    return 0;
}

static int rec_cpus(struct reader *r, struct record *rec)
{
    static const char *const sources[] = { CAPTURE_CPUS_MP, CAPTURE_CPUS_NONE };
    struct capture *c = r->c;
    uint64_t count;
    int src;

    if (num(r, rec, "count", CPU_COUNT_MAX, &count) < 0 ||
        (src = word(r, rec, "source", sources, ARRAY_LEN(sources))) < 0 ||
        num32(r, rec, "bsp_apic", &c->bsp_apic) < 0)
        return -1;
    snprintf(c->cpus_source, sizeof(c->cpus_source), "%s", sources[src]);
    c->cpu_count = count;
    c->cpus = calloc(count ? count : 1, sizeof(*c->cpus));
    if (!c->cpus)
        return bad(r, "out of memory");
    c->has_cpus = true;
    return 0;
}

/* flags=bsp,enabled,healthy or flags=none */
static int cpu_flags(struct reader *r, struct record *rec, uint32_t *out)
{
    static const struct { const char *name; uint32_t bit; } names[] = {
        { "bsp", CPU_FLAG_BSP }, { "enabled", CPU_FLAG_ENABLED }, { "healthy", CPU_FLAG_HEALTHY },
    };
    const char *v = field(r, rec, "flags");

    *out = 0;
    if (!v)
        return -1;
    if (strcmp(v, "none") == 0)
        return 0;
    for (const char *p = v; *p;) {
        size_t len = strcspn(p, ","), i;
        for (i = 0; i < ARRAY_LEN(names); i++)
            if (strlen(names[i].name) == len && strncmp(p, names[i].name, len) == 0)
                break;
        if (i == ARRAY_LEN(names))
            return bad(r, "flags=%s: unknown CPU flag", v);
        *out |= names[i].bit;
        p += len + (p[len] == ',');
    }
    return 0;
}

static int rec_cpu(struct reader *r, struct record *rec)
{
    struct capture *c = r->c;

    if (!c->has_cpus)
        return bad(r, "'cpu' before 'cpus'");
    if (r->cpus_read == c->cpu_count)
        return bad(r, "more 'cpu' lines than cpus count=%zu", c->cpu_count);
    struct bootinfo_cpu *cpu = &c->cpus[r->cpus_read++];
    if (num32(r, rec, "apic", &cpu->apic_id) < 0 || cpu_flags(r, rec, &cpu->flags) < 0 ||
        num32(r, rec, "package", &cpu->package) < 0 || num32(r, rec, "core", &cpu->core) < 0 ||
        num32(r, rec, "thread", &cpu->thread) < 0)
        return -1;
    return 0;
}

static int rec_fb(struct reader *r, struct record *rec)
{
    static const char *const formats[] = {
        [FB_FORMAT_NONE] = "none", [FB_FORMAT_RGBX] = "rgbx",
        [FB_FORMAT_BGRX] = "bgrx", [FB_FORMAT_BITMASK] = "bitmask",
    };
    struct bootinfo_fb *fb = &r->c->fb;
    int format;

    if (num(r, rec, "base", PMEM_END_MAX, &fb->base) < 0 ||
        num(r, rec, "size", PMEM_END_MAX, &fb->size) < 0 ||
        num32(r, rec, "width", &fb->width) < 0 || num32(r, rec, "height", &fb->height) < 0 ||
        num32(r, rec, "pitch", &fb->pitch) < 0 ||
        (format = word(r, rec, "format", formats, ARRAY_LEN(formats))) < 0)
        return -1;
    if (fb->size > PMEM_END_MAX - fb->base)
        return bad(r, "framebuffer [base, base+size) runs past the top of memory");
    fb->format = (uint32_t)format;
    r->c->has_fb = true;
    return 0;
}

static int rec_memmap(struct reader *r, struct record *rec)
{
    struct capture *c = r->c;
    uint64_t count;

    if (num(r, rec, "count", DESC_COUNT_MAX, &count) < 0 ||
        num(r, rec, "desc_size", DESC_SIZE_MAX, &c->desc_size) < 0 ||
        num32(r, rec, "desc_version", &c->desc_version) < 0)
        return -1;
    if (c->desc_size < CAPTURE_DESC_SIZE_MIN || c->desc_size % CAPTURE_DESC_SIZE_ALIGN)
        return bad(r, "desc_size=%llu: a descriptor is at least %d bytes, a multiple of %d",
                   (unsigned long long)c->desc_size, CAPTURE_DESC_SIZE_MIN, CAPTURE_DESC_SIZE_ALIGN);
    c->count = count;
    c->descs = calloc(count ? count : 1, sizeof(*c->descs));
    if (!c->descs)
        return bad(r, "out of memory");
    r->seen_memmap = true;
    return 0;
}

static int pmem_by_name(struct reader *r, struct record *rec, enum pmem_type *out)
{
    const char *v = field(r, rec, "pmem");

    if (!v)
        return -1;
    for (int t = PMEM_NONE + 1; t < PMEM_TYPE_COUNT; t++)
        if (strcmp(v, pmem_type_name((enum pmem_type)t)) == 0) {
            *out = (enum pmem_type)t;
            return 0;
        }
    return bad(r, "pmem=%s is not a tracker type", v);
}

static int rec_desc(struct reader *r, struct record *rec)
{
    struct capture *c = r->c;

    if (!r->seen_memmap)
        return bad(r, "'desc' before 'memmap'");
    if (r->descs_read == c->count)
        return bad(r, "more 'desc' lines than memmap count=%zu", c->count);
    struct capture_desc *d = &c->descs[r->descs_read++];
    d->line = r->line;
    if (num32(r, rec, "type", &d->type) < 0 || num(r, rec, "phys", UINT64_MAX, &d->phys) < 0 ||
        num(r, rec, "pages", UINT64_MAX, &d->pages) < 0 ||
        num(r, rec, "attr", UINT64_MAX, &d->attr) < 0 ||
        pmem_by_name(r, rec, &d->pmem) < 0)
        return -1;
    return 0;
}

static int rec_end(struct reader *r, struct record *rec)
{
    (void)rec;
    if (!r->seen_memmap)
        return bad(r, "'end' without a 'memmap' record");
    if (r->descs_read != r->c->count)
        return bad(r, "'end' after %zu 'desc' lines; memmap count=%zu", r->descs_read, r->c->count);
    if (r->cpus_read != r->c->cpu_count)
        return bad(r, "'end' after %zu 'cpu' lines; cpus count=%zu", r->cpus_read, r->c->cpu_count);
    r->seen_end = true;
    return 0;
}

static const struct {
    const char *word;
    int (*parse)(struct reader *, struct record *);
    bool repeats;
} records[] = {
    { CAPTURE_REC_MAGIC, rec_magic, false },   { CAPTURE_REC_FIRMWARE, rec_firmware, false },
    { CAPTURE_REC_CPUID, rec_cpuid, false },   { CAPTURE_REC_CPUS, rec_cpus, false },
    { CAPTURE_REC_CPU, rec_cpu, true },        { CAPTURE_REC_FB, rec_fb, false },
    { CAPTURE_REC_MEMMAP, rec_memmap, false }, { CAPTURE_REC_DESC, rec_desc, true },
    { CAPTURE_REC_END, rec_end, false },
};

/* ---- lines -------------------------------------------------------------- */

static int parse_line(struct reader *r, char *s, unsigned seen[])
{
    struct record rec;
    size_t i;

    s = skip_blanks(s);
    if (!*s || *s == '#')
        return 0;
    if (r->seen_end)
        return bad(r, "text after 'end'");
    if (split_record(r, s, &rec) < 0)
        return -1;
    for (i = 0; i < ARRAY_LEN(records); i++)
        if (strcmp(rec.word, records[i].word) == 0)
            break;
    if (i == ARRAY_LEN(records))
        return bad(r, "unknown record '%s'", rec.word);
    if (!r->seen_magic && i != 0)
        return bad(r, "not a capture: the first record must be '" CAPTURE_REC_MAGIC "', not '%s'",
                   rec.word);
    if (seen[i]++ && !records[i].repeats)
        return bad(r, "a second '%s' record", rec.word);
    r->seen_magic = true;
    if (records[i].parse(r, &rec) < 0)
        return -1;
    return all_fields_used(r, &rec);
}

/* Read one line without its newline (and a CR before it) into *buf,
 * grown by getline. 1 for a line, 0 at EOF, -1 on a bad line. */
static int read_line(struct reader *r, FILE *in, char **buf, size_t *cap)
{
    ssize_t n = getline(buf, cap, in);

    if (n < 0)
        return 0;
    r->partial = !(n && (*buf)[n - 1] == '\n');
    if (!r->partial)
        (*buf)[--n] = '\0';
    if (n && (*buf)[n - 1] == '\r')
        (*buf)[--n] = '\0';
    if (strlen(*buf) != (size_t)n)
        return bad(r, "NUL byte in line");
    if (n > LINE_MAX_BYTES)
        return bad(r, "line longer than %d bytes", LINE_MAX_BYTES);
    return 1;
}

int capture_read(FILE *in, struct capture *c, unsigned *err_line, char err[CAPTURE_ERR_MAX])
{
    struct reader r = { .c = c, .err = err, .err_line = err_line };
    unsigned seen[ARRAY_LEN(records)] = { 0 };
    char *buf = NULL;
    size_t cap = 0;
    int rc;

    memset(c, 0, sizeof(*c));
    err[0] = '\0';
    *err_line = 0;
    while (++r.line, (rc = read_line(&r, in, &buf, &cap)) > 0)
        if ((rc = parse_line(&r, buf, seen)) < 0) {
            if (r.partial)
                snprintf(r.err + strlen(r.err), CAPTURE_ERR_MAX - strlen(r.err),
                         " (the file ends mid-line: truncated?)");
            break;
        }
    free(buf);
    if (rc == 0) {
        r.line = 0;
        if (ferror(in))
            rc = bad(&r, "read error");
        else if (!r.seen_magic)
            rc = bad(&r, "not a capture: no '" CAPTURE_REC_MAGIC "' record");
        else if (!r.seen_end)
            rc = bad(&r, "no 'end' record: the file is truncated (was the write cut short?)");
    }
    if (rc < 0)
        capture_free(c);
    return rc;
}

void capture_free(struct capture *c)
{
    free(c->cpus);
    free(c->descs);
    c->cpus = NULL;
    c->descs = NULL;
}
