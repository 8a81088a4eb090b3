/* Freestanding printf subset (include/fmt.h).
 *
 * One pass over the format: literal characters go straight to the sink;
 * each '%' is parsed into a struct fmt_spec, its argument converted into a
 * small digit buffer, and the result laid out as
 *
 *     [spaces] [prefix: "-" or "0x"] [zeros] body [spaces]
 *              ^ right-justified          ^ '0'     ^ '-' flag
 *
 * which is where C puts padding for every conversion supported here.
 */
#include <stdarg.h>

#include "fmt.h"

#define FMT_MAX_WIDTH  4096  /* clamp: a runaway width must not loop for minutes */
#define FMT_DIGITS_MAX 24    /* UINT64_MAX has 20 decimal digits */

enum fmt_len { LEN_INT, LEN_LONG, LEN_LLONG, LEN_SIZE };

struct fmt_spec {
    bool left;          /* '-' */
    bool zero;          /* '0' */
    bool alt;           /* '#' */
    unsigned width;
    enum fmt_len len;
    char conv;          /* conversion character, '\0' if the format ended */
};

struct fmt_out {
    fmt_putc_fn put;
    void *ctx;
    size_t count;
};

/* ---- output ------------------------------------------------------------- */

static void out_char(struct fmt_out *o, char c)
{
    o->put(o->ctx, c);
    o->count++;
}

static void out_repeat(struct fmt_out *o, char c, size_t n)
{
    while (n--)
        out_char(o, c);
}

static void out_str(struct fmt_out *o, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        out_char(o, s[i]);
}

static size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* Lay out prefix + body in a field of sp->width. Zero padding goes between
 * the prefix and the body ("-0042", "0x001f") and only where the caller
 * allows it: C ignores '0' for %s and %c. */
static void out_field(struct fmt_out *o, const struct fmt_spec *sp, bool zero_ok,
                      const char *prefix, const char *body, size_t len)
{
    size_t plen = str_len(prefix);
    size_t pad = sp->width > plen + len ? sp->width - plen - len : 0;
    bool zeros = zero_ok && sp->zero && !sp->left;

    if (!sp->left && !zeros)
        out_repeat(o, ' ', pad);
    out_str(o, prefix, plen);
    if (zeros)
        out_repeat(o, '0', pad);
    out_str(o, body, len);
    if (sp->left)
        out_repeat(o, ' ', pad);
}

/* ---- numbers ------------------------------------------------------------ */

/* Write v in `base` at the end of buf; return the first digit. */
static const char *u64_to_digits(uint64_t v, unsigned base, bool upper,
                                 char buf[FMT_DIGITS_MAX])
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    /* One past the end is a valid pointer; digits are written before it. */
    char *p = buf + FMT_DIGITS_MAX; // cppcheck-suppress ctuPointerArith

    do {
        *--p = digits[v % base];
        v /= base;
    } while (v != 0);
    return p;
}

static void out_number(struct fmt_out *o, const struct fmt_spec *sp,
                       uint64_t magnitude, const char *prefix)
{
    char buf[FMT_DIGITS_MAX];
    bool hex = sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p';
    const char *first = u64_to_digits(magnitude, hex ? 16 : 10, sp->conv == 'X', buf);

    out_field(o, sp, true, prefix, first, (size_t)(buf + FMT_DIGITS_MAX - first));
}

/* Default argument promotions make anything narrower than int arrive as
 * int, so there is no 'h' case to read. */
static int64_t arg_signed(va_list *ap, enum fmt_len len)
{
    switch (len) {
    case LEN_LONG:  return va_arg(*ap, long);
    case LEN_LLONG: return va_arg(*ap, long long);
    case LEN_SIZE:  return va_arg(*ap, ptrdiff_t);  /* signed size_t */
    case LEN_INT:   break;
    }
    return va_arg(*ap, int);
}

static uint64_t arg_unsigned(va_list *ap, enum fmt_len len)
{
    switch (len) {
    case LEN_LONG:  return va_arg(*ap, unsigned long);
    case LEN_LLONG: return va_arg(*ap, unsigned long long);
    case LEN_SIZE:  return va_arg(*ap, size_t);
    case LEN_INT:   break;
    }
    return va_arg(*ap, unsigned int);
}

_Static_assert(sizeof(ptrdiff_t) == sizeof(size_t), "%zd reads ptrdiff_t");

static void conv_signed(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
    int64_t v = arg_signed(ap, sp->len);
    /* Negate in unsigned arithmetic: -INT64_MIN overflows int64_t. */
    uint64_t magnitude = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    out_number(o, sp, magnitude, v < 0 ? "-" : "");
}

static void conv_unsigned(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
    uint64_t v = arg_unsigned(ap, sp->len);
    const char *prefix = "";

    if (sp->alt && v != 0)   /* C: "%#x" of 0 is "0", not "0x0" */
        prefix = sp->conv == 'X' ? "0X" : "0x";
    out_number(o, sp, v, prefix);
}

static void conv_pointer(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
    uintptr_t v = (uintptr_t)va_arg(*ap, void *);

    if (v == 0)
        out_field(o, sp, false, "", "(nil)", 5);
    else
        out_number(o, sp, v, "0x");
}

/* ---- strings and characters ---------------------------------------------- */

static void conv_string(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
    const char *s = va_arg(*ap, const char *);

    if (s == NULL)
        s = "(null)";
    out_field(o, sp, false, "", s, str_len(s));
}

static void conv_char(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
    char c = (char)va_arg(*ap, int);

    out_field(o, sp, false, "", &c, 1);
}

/* ---- parsing ------------------------------------------------------------ */

/* Parse the part of a conversion after '%'; return the character after it. */
static const char *parse_spec(const char *p, struct fmt_spec *sp)
{
    *sp = (struct fmt_spec){ .len = LEN_INT };

    for (;; p++) {
        if (*p == '-')
            sp->left = true;
        else if (*p == '0')
            sp->zero = true;
        else if (*p == '#')
            sp->alt = true;
        else
            break;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        if (sp->width < FMT_MAX_WIDTH)
            sp->width = sp->width * 10 + (unsigned)(*p - '0');
    }
    if (sp->width > FMT_MAX_WIDTH)
        sp->width = FMT_MAX_WIDTH;
    if (*p == 'l' && p[1] == 'l') {
        sp->len = LEN_LLONG;
        p += 2;
    } else if (*p == 'l') {
        sp->len = LEN_LONG;
        p++;
    } else if (*p == 'z') {
        sp->len = LEN_SIZE;
        p++;
    }
    sp->conv = *p;
    return *p ? p + 1 : p;
}

/* Convert one parsed spec. Returns false if the conversion is unsupported;
 * no argument has been consumed then. */
static bool convert(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
    switch (sp->conv) {
    case '%':                   out_char(o, '%'); return true;
    case 'c':                   conv_char(o, sp, ap); return true;
    case 's':                   conv_string(o, sp, ap); return true;
    case 'd': case 'i':         conv_signed(o, sp, ap); return true;
    case 'u': case 'x': case 'X': conv_unsigned(o, sp, ap); return true;
    case 'p':                   conv_pointer(o, sp, ap); return true;
    default:                    return false;
    }
}

size_t fmt_vformat(fmt_putc_fn put, void *ctx, const char *fmt, va_list ap)
{
    struct fmt_out o = { .put = put, .ctx = ctx, .count = 0 };
    va_list args;

    /* Helpers take a va_list *, and &ap of a parameter is not one on
     * x86_64 (va_list is an array type, so the parameter is a pointer). */
    va_copy(args, ap);
    for (const char *p = fmt; *p != '\0';) {
        if (*p != '%') {
            out_char(&o, *p++);
            continue;
        }
        const char *start = p;
        struct fmt_spec sp;
        p = parse_spec(p + 1, &sp);
        if (!convert(&o, &sp, &args))
            out_str(&o, start, (size_t)(p - start));
    }
    va_end(args);
    return o.count;
}

/* ---- snprintf ------------------------------------------------------------- */

struct sbuf {
    char *buf;
    size_t size;    /* capacity including the NUL */
    size_t len;     /* characters produced so far, stored or not */
};

static void sbuf_put(void *ctx, char c)
{
    struct sbuf *b = ctx;

    if (b->len + 1 < b->size)
        b->buf[b->len] = c;
    b->len++;
}

int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct sbuf b = { .buf = buf, .size = n, .len = 0 };
    size_t total = fmt_vformat(sbuf_put, &b, fmt, ap);

    if (n > 0)
        buf[MIN(total, n - 1)] = '\0';
    return total > (size_t)__INT_MAX__ ? __INT_MAX__ : (int)total;
}

int fmt_snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = fmt_vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return ret;
}
