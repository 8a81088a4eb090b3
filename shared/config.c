/* Parser for pagoda.conf (format in include/config.h). Pure: works on a
 * byte buffer, writes a struct and at most one error message. */
#include "config.h"

#include <string.h>

#include "fmt.h"

struct span {
    const char *p;
    size_t n;
};

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static struct span trim(struct span s)
{
    while (s.n && is_space(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

static bool span_eq(struct span s, const char *lit)
{
    size_t i = 0;
    for (; i < s.n; i++)
        if (lit[i] != s.p[i])
            return false;
    return lit[i] == '\0';
}

/* Copy into a NUL-terminated buffer; false if it does not fit. */
static bool span_copy(struct span s, char *dst, size_t cap)
{
    if (s.n + 1 > cap)
        return false;
    memcpy(dst, s.p, s.n);
    dst[s.n] = '\0';
    return true;
}

#define ERR_QUOTE_MAX 40 /* how much of the offending text an error quotes */

static int fail(char *err, unsigned line, const char *what, struct span s)
{
    char quote[ERR_QUOTE_MAX + 1];

    span_copy((struct span){ s.p, MIN(s.n, (size_t)ERR_QUOTE_MAX) }, quote, sizeof(quote));
    fmt_snprintf(err, CONFIG_ERR_MAX, "pagoda.conf line %u: %s '%s'", line, what, quote);
    return -1;
}

/* A 0|1 switch; anything else (yes, true, 2) is refused rather than guessed. */
static int parse_flag(int *out, struct span val, unsigned line, char *err, const char *what)
{
    if (span_eq(val, "0") || span_eq(val, "1")) {
        *out = val.p[0] - '0';
        return 0;
    }
    return fail(err, line, what, val);
}

/* Copy a path, '/' separators turned into '\\' (the firmware's). */
static bool path_copy(struct span s, char *dst, size_t cap)
{
    if (!span_copy(s, dst, cap))
        return false;
    for (char *c = dst; *c; c++)
        if (*c == '/')
            *c = '\\';
    return true;
}

static int parse_protocol(struct config *cfg, struct span val, unsigned line, char *err)
{
    static const struct { const char *name; enum config_protocol p; } names[] = {
        { "auto", CONFIG_PROTOCOL_AUTO },
        { "pagoda", CONFIG_PROTOCOL_PAGODA },
        { "limine", CONFIG_PROTOCOL_LIMINE },
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (span_eq(val, names[i].name)) {
            cfg->protocol = names[i].p;
            return 0;
        }
    }
    return fail(err, line, "protocol must be auto, pagoda or limine, not", val);
}

static int parse_limine_smp(struct config *cfg, struct span val, unsigned line, char *err)
{
    if (span_eq(val, "parallel"))
        cfg->limine_smp = CONFIG_LIMINE_SMP_PARALLEL;
    else if (span_eq(val, "serial"))
        cfg->limine_smp = CONFIG_LIMINE_SMP_SERIAL;
    else
        return fail(err, line, "limine_smp must be parallel or serial, not", val);
    return 0;
}

/* 64 hex digits into a pin; anything else is refused. */
static int parse_pin(struct config_pin *pin, struct span val, unsigned line, char *err, const char *what)
{
    if (sha256_from_hex(val.p, val.n, pin->sha256) < 0)
        return fail(err, line, what, val);
    pin->set = true;
    return 0;
}

#define MODULE_PIN_PREFIX "sha256="

/* Split the first blank-separated word off s (s trimmed afterwards). */
static struct span next_word(struct span *s)
{
    size_t n = 0;

    while (n < s->n && !is_space(s->p[n]))
        n++;
    struct span w = { s->p, n };
    *s = trim((struct span){ s->p + n, s->n - n });
    return w;
}

static bool span_starts(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n >= n && memcmp(s.p, lit, n) == 0;
}

/* module=PATH [sha256=HEX] [STRING]: the path ends at the first blank; a
 * next word starting with "sha256=" is the module's pin; the string is the
 * rest of the line (trimmed). */
static int parse_module(struct config *cfg, struct span val, unsigned line, char *err)
{
    if (cfg->nmodules == CONFIG_MODULES_MAX)
        return fail(err, line, "too many modules (16 at most), at", val);
    if (val.n == 0)
        return fail(err, line, "empty module path", val);
    struct config_module *m = &cfg->modules[cfg->nmodules];
    struct span str = val;
    struct span path = next_word(&str);
    if (span_starts(str, MODULE_PIN_PREFIX)) {
        struct span pin = next_word(&str);
        pin.p += strlen(MODULE_PIN_PREFIX);
        pin.n -= strlen(MODULE_PIN_PREFIX);
        if (parse_pin(&m->pin, pin, line, err, "module sha256 must be 64 hex digits, not") < 0)
            return -1;
    }
    if (!path_copy(path, m->path, sizeof(m->path)))
        return fail(err, line, "module path too long", path);
    if (!span_copy(str, m->string, sizeof(m->string)))
        return fail(err, line, "module string too long", str);
    cfg->nmodules++;
    return 0;
}

/* paging=4|5: the level count for a Pagoda kernel; absent = the most the
 * CPU has (CONFIG_PAGING_AUTO). */
static int parse_paging(struct config *cfg, struct span val, unsigned line, char *err)
{
    if (span_eq(val, "4") || span_eq(val, "5")) {
        cfg->paging_levels = val.p[0] - '0';
        return 0;
    }
    return fail(err, line, "paging must be 4 or 5, not", val);
}

/* file_sha256=PATH HEX */
static int parse_file_pin(struct config *cfg, struct span val, unsigned line, char *err)
{
    if (cfg->nfile_pins == CONFIG_MODULES_MAX)
        return fail(err, line, "too many file_sha256 lines (16 at most), at", val);
    struct config_file_pin *f = &cfg->file_pins[cfg->nfile_pins];
    struct span hex = val;
    struct span path = next_word(&hex);
    if (path.n == 0 || hex.n == 0)
        return fail(err, line, "file_sha256 needs a path and a SHA-256, not", val);
    if (!path_copy(path, f->path, sizeof(f->path)))
        return fail(err, line, "file_sha256 path too long", path);
    if (parse_pin(&f->pin, hex, line, err, "file_sha256 must end in 64 hex digits, not") < 0)
        return -1;
    cfg->nfile_pins++;
    return 0;
}

static int apply(struct config *cfg, struct span key, struct span val, unsigned line, char *err)
{
    if (span_eq(key, "kernel")) {
        if (val.n == 0)
            return fail(err, line, "empty kernel path", key);
        if (!path_copy(val, cfg->kernel, sizeof(cfg->kernel)))
            return fail(err, line, "kernel path too long", val);
        return 0;
    }
    if (span_eq(key, "cmdline")) {
        if (!span_copy(val, cfg->cmdline, sizeof(cfg->cmdline)))
            return fail(err, line, "cmdline too long", val);
        return 0;
    }
    if (span_eq(key, "verbose"))
        return parse_flag(&cfg->verbose, val, line, err, "verbose must be 0 or 1, not");
    if (span_eq(key, "capture"))
        return parse_flag(&cfg->capture, val, line, err, "capture must be 0 or 1, not");
    if (span_eq(key, "gdb"))
        return parse_flag(&cfg->gdb, val, line, err, "gdb must be 0 or 1, not");
    if (span_eq(key, "protocol"))
        return parse_protocol(cfg, val, line, err);
    if (span_eq(key, "limine_smp"))
        return parse_limine_smp(cfg, val, line, err);
    if (span_eq(key, "module"))
        return parse_module(cfg, val, line, err);
    if (span_eq(key, "kernel_sha256"))
        return parse_pin(&cfg->kernel_pin, val, line, err, "kernel_sha256 must be 64 hex digits, not");
    if (span_eq(key, "file_sha256"))
        return parse_file_pin(cfg, val, line, err);
    if (span_eq(key, "verify"))
        return parse_flag(&cfg->verify, val, line, err, "verify must be 0 or 1, not");
    if (span_eq(key, "paging"))
        return parse_paging(cfg, val, line, err);
    return fail(err, line, "unknown key", key);
}

static int parse_line(struct config *cfg, struct span s, unsigned line, char *err)
{
    s = trim(s);
    if (s.n == 0 || s.p[0] == '#')
        return 0;
    size_t eq = 0;
    while (eq < s.n && s.p[eq] != '=')
        eq++;
    if (eq == s.n)
        return fail(err, line, "expected key=value, got", s);
    struct span key = trim((struct span){ s.p, eq });
    struct span val = trim((struct span){ s.p + eq + 1, s.n - eq - 1 });
    return apply(cfg, key, val, line, err);
}

int config_parse(const char *text, size_t len, struct config *cfg, char err[CONFIG_ERR_MAX])
{
    unsigned line = 1;
    size_t start = 0;

    memset(cfg, 0, sizeof(*cfg));
    err[0] = '\0';
    if (len == 0)
        return 0;             /* defaults; text may be NULL then */
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] == '\0')
            return fail(err, line, "NUL byte in file", (struct span){ "", 0 });
        if (i == len || text[i] == '\n') {
            if (parse_line(cfg, (struct span){ text + start, i - start }, line, err) < 0)
                return -1;
            start = i + 1;
            line++;
        }
    }
    return 0;
}
