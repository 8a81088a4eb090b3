/* Host tests for shared/psf.c.
 *
 * Fonts are built in memory from the format as kbd documents it (the
 * constants below are written out again here, not taken from psf.c): a
 * PSF1 or PSF2 header, the glyphs, then an optional Unicode table. Every
 * parse runs on an exact-size malloc, so ASan reports a read of even one
 * byte past the end. Bad fonts are one good font with one header byte or
 * field patched, or cut short: one table row each.
 *
 *   PSF1: | 36 04 mode height | 256 or 512 glyphs of `height` bytes | table |
 *   PSF2: | magic version hsize flags length charsize height width (LE32) |
 *         | ... up to hsize | length glyphs of charsize bytes | table |
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "psf.h"

#define PSF1_MAGIC0        0x36
#define PSF1_MAGIC1        0x04
#define PSF1_HEADER        4
#define PSF1_MODE512       0x01
#define PSF1_MODEHASTAB    0x02
#define PSF1_MODESEQ       0x04
#define PSF2_MAGIC         0x864AB572u
#define PSF2_HEADER        32
#define PSF2_HAS_TABLE     0x01
/* PSF2 header fields: byte offsets of the little-endian words. */
enum { P2_MAGIC = 0, P2_VERSION = 4, P2_HSIZE = 8, P2_FLAGS = 12, P2_LENGTH = 16,
       P2_CHARSIZE = 20, P2_HEIGHT = 24, P2_WIDTH = 28 };

#define IMAGE_MAX          16384
#define QUESTION           '?'

/* The PSF2 fonts with a table: 8 glyphs of 8x16, so the table starts at
 * 32 + 8 * 16. */
#define T2_GLYPHS          8
#define T2_TABLE_AT        (PSF2_HEADER + T2_GLYPHS * 16)
#define PLAIN2_GLYPHS      128

/* ---- building fonts ----------------------------------------------------- */

struct font {
    uint8_t bytes[IMAGE_MAX];
    size_t size;
};

static void put_le16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    put_le16(p, v & 0xFFFF);
    put_le16(p + 2, v >> 16);
}

/* `count` glyphs of `bytes` bytes from `at`; each byte holds its glyph's
 * index, so a wrong glyph is also wrong data. */
static void add_glyphs(struct font *f, size_t at, uint32_t count, uint32_t bytes)
{
    assert_true(at + (size_t)count * bytes <= IMAGE_MAX);
    for (size_t i = 0; i < (size_t)count * bytes; i++)
        f->bytes[at + i] = (uint8_t)(i / bytes);
    f->size = at + (size_t)count * bytes;
}

static void add_bytes(struct font *f, const void *p, size_t len)
{
    assert_true(f->size + len <= IMAGE_MAX);
    memcpy(f->bytes + f->size, p, len);
    f->size += len;
}

static void psf1_font(struct font *f, uint8_t mode, uint8_t height)
{
    memset(f, 0, sizeof(*f));
    f->bytes[0] = PSF1_MAGIC0;
    f->bytes[1] = PSF1_MAGIC1;
    f->bytes[2] = mode;
    f->bytes[3] = height;
    add_glyphs(f, PSF1_HEADER, (mode & PSF1_MODE512) ? 512 : 256, height);
}

static void psf2_font(struct font *f, uint32_t width, uint32_t height, uint32_t length,
                      uint32_t header_size, uint32_t flags)
{
    uint32_t charsize = height * ((width + 7) / 8);

    memset(f, 0, sizeof(*f));
    put_le32(f->bytes + P2_MAGIC, PSF2_MAGIC);
    put_le32(f->bytes + P2_VERSION, 0);
    put_le32(f->bytes + P2_HSIZE, header_size);
    put_le32(f->bytes + P2_FLAGS, flags);
    put_le32(f->bytes + P2_LENGTH, length);
    put_le32(f->bytes + P2_CHARSIZE, charsize);
    put_le32(f->bytes + P2_HEIGHT, height);
    put_le32(f->bytes + P2_WIDTH, width);
    add_glyphs(f, header_size, length, charsize);
}

/* PSF1 table, 16-bit entries ending in 0xFFFF, 0xFFFE before sequences:
 *   glyph 0 'A'; glyph 1 '?' then the sequence 'C' (not a mapping);
 *   glyph 2 'B', U+20AC (beyond the map) and 'A' again (first one wins);
 *   glyph 3 U+00E9; glyphs 4..255 nothing. */
static void add_table1(struct font *f)
{
    static const uint16_t named[] = {
        'A', 0xFFFF, QUESTION, 0xFFFE, 'C', 0xFFFF, 'B', 0x20AC, 'A', 0xFFFF, 0xE9, 0xFFFF,
    };
    uint8_t le[2];

    for (size_t i = 0; i < ARRAY_LEN(named); i++) {
        put_le16(le, named[i]);
        add_bytes(f, le, 2);
    }
    put_le16(le, 0xFFFF);
    for (int g = 4; g < 256; g++)
        add_bytes(f, le, 2);
}

/* PSF2 table, UTF-8 entries ending in 0xFF, 0xFE before sequences:
 *   glyph 0 nothing; 1 'A'; 2 '?' then the sequence 'B'; 3 'B' and U+00E9;
 *   4 U+20AC and U+1F600 (beyond the map); 5 'A' again; 6, 7 nothing. */
static const uint8_t table2[] = {
    0xFF, 'A', 0xFF, QUESTION, 0xFE, 'B', 0xFF, 'B', 0xC3, 0xA9, 0xFF,
    0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xFF, 'A', 0xFF, 0xFF, 0xFF,
};
#define T2_EURO_AT (T2_TABLE_AT + 11)   /* the 0xE2 that starts U+20AC */

/* The same without '?': unnamed code points fall back to glyph 0. */
static const uint8_t table2_no_question[] = { 0xFF, 'A', 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

enum kind {
    PSF1_PLAIN,        /* 256 glyphs of 8x16, no table */
    PSF1_512,          /* 512 glyphs of 8x8 */
    PSF1_TABLE,        /* 256 glyphs of 8x14, add_table1 */
    PSF1_SEQ,          /* the same flagged PSF1_MODESEQ only */
    PSF2_PLAIN,        /* 128 glyphs of 8x16, no table */
    PSF2_FEW,          /* 8 glyphs of 8x16, no table: '?' is not a glyph */
    PSF2_TABLE,        /* 8 glyphs of 8x16, table2 */
    PSF2_NO_QUESTION,  /* 8 glyphs of 8x16, table2_no_question */
    PSF2_WIDE,         /* 12x24: two bytes a row */
    PSF2_LARGEST,      /* PSF_MAX_WIDTH x PSF_MAX_HEIGHT */
    PSF2_SMALLEST,     /* one glyph of 1x1 */
    PSF2_BIG_HEADER,   /* header size 48: glyphs after 16 padding bytes */
};

static void build(enum kind k, struct font *f)
{
    switch (k) {
    case PSF1_PLAIN:       psf1_font(f, 0, 16); break;
    case PSF1_512:         psf1_font(f, PSF1_MODE512, 8); break;
    case PSF1_TABLE:       psf1_font(f, PSF1_MODEHASTAB, 14); add_table1(f); break;
    case PSF1_SEQ:         psf1_font(f, PSF1_MODESEQ, 14); add_table1(f); break;
    case PSF2_PLAIN:       psf2_font(f, 8, 16, PLAIN2_GLYPHS, PSF2_HEADER, 0); break;
    case PSF2_FEW:         psf2_font(f, 8, 16, T2_GLYPHS, PSF2_HEADER, 0); break;
    case PSF2_TABLE:
        psf2_font(f, 8, 16, T2_GLYPHS, PSF2_HEADER, PSF2_HAS_TABLE);
        add_bytes(f, table2, sizeof(table2));
        break;
    case PSF2_NO_QUESTION:
        psf2_font(f, 8, 16, T2_GLYPHS, PSF2_HEADER, PSF2_HAS_TABLE);
        add_bytes(f, table2_no_question, sizeof(table2_no_question));
        break;
    case PSF2_WIDE:        psf2_font(f, 12, 24, 256, PSF2_HEADER, 0); break;
    case PSF2_LARGEST:     psf2_font(f, PSF_MAX_WIDTH, PSF_MAX_HEIGHT, 16, PSF2_HEADER, 0); break;
    case PSF2_SMALLEST:    psf2_font(f, 1, 1, 1, PSF2_HEADER, 0); break;
    case PSF2_BIG_HEADER:  psf2_font(f, 8, 16, PLAIN2_GLYPHS, 48, 0); break;
    }
}

/* ---- parsing from an exact-size buffer ---------------------------------- */

struct parsed {
    uint8_t *alloc;
    const uint8_t *data;    /* alloc + misalign: the file's first byte */
    size_t size;
    struct psf_font font;
    int rc;
};

static void parse(struct parsed *p, const struct font *f, size_t size, size_t misalign)
{
    p->alloc = malloc(misalign + size + (size == 0));
    assert_non_null(p->alloc);
    memcpy(p->alloc + misalign, f->bytes, size);
    p->data = p->alloc + misalign;
    p->size = size;
    p->rc = psf_parse(&p->font, p->data, size);
}

static void parsed_free(struct parsed *p)
{
    free(p->alloc);
}

/* Index of the glyph psf_glyph returns for cp; it must lie in the file. */
static uint32_t glyph_of(const struct parsed *p, uint32_t cp)
{
    const struct psf_font *f = &p->font;
    const uint8_t *g = psf_glyph(f, cp);
    size_t off = (size_t)(g - f->glyphs);

    assert_true(g >= f->glyphs && off % f->glyph_bytes == 0);
    assert_true(g + f->glyph_bytes <= p->data + p->size);
    return (uint32_t)(off / f->glyph_bytes);
}

/* ---- good fonts --------------------------------------------------------- */

static void test_good_fonts(void **state)
{
    static const struct {
        const char *what;
        enum kind kind;
        uint32_t version, glyphs, width, height, row_bytes;
        size_t glyph_at;
    } rows[] = {
        { "psf1 256 glyphs",          PSF1_PLAIN,      1, 256, 8, 16, 1, PSF1_HEADER },
        { "psf1 512 glyphs",          PSF1_512,        1, 512, 8, 8, 1, PSF1_HEADER },
        { "psf1 unicode table",       PSF1_TABLE,      1, 256, 8, 14, 1, PSF1_HEADER },
        { "psf1 sequences flag",      PSF1_SEQ,        1, 256, 8, 14, 1, PSF1_HEADER },
        { "psf2 no table",            PSF2_PLAIN,      2, PLAIN2_GLYPHS, 8, 16, 1, PSF2_HEADER },
        { "psf2 8 glyphs",            PSF2_FEW,        2, T2_GLYPHS, 8, 16, 1, PSF2_HEADER },
        { "psf2 unicode table",       PSF2_TABLE,      2, T2_GLYPHS, 8, 16, 1, PSF2_HEADER },
        { "psf2 table without '?'",   PSF2_NO_QUESTION, 2, T2_GLYPHS, 8, 16, 1, PSF2_HEADER },
        { "psf2 12 wide",             PSF2_WIDE,       2, 256, 12, 24, 2, PSF2_HEADER },
        { "psf2 largest glyphs",      PSF2_LARGEST,    2, 16, PSF_MAX_WIDTH, PSF_MAX_HEIGHT, 4,
          PSF2_HEADER },
        { "psf2 one 1x1 glyph",       PSF2_SMALLEST,   2, 1, 1, 1, 1, PSF2_HEADER },
        { "psf2 padded header",       PSF2_BIG_HEADER, 2, PLAIN2_GLYPHS, 8, 16, 1, 48 },
    };
    static struct font f;
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        build(rows[i].kind, &f);
        for (size_t misalign = 0; misalign < 4; misalign++) {
            struct parsed p;
            parse(&p, &f, f.size, misalign);
            if (p.rc != 0)
                fail_msg("%s (misaligned by %zu): rc %d", rows[i].what, misalign, p.rc);
            assert_int_equal(p.font.version, rows[i].version);
            assert_int_equal(p.font.glyph_count, rows[i].glyphs);
            assert_int_equal(p.font.width, rows[i].width);
            assert_int_equal(p.font.height, rows[i].height);
            assert_int_equal(p.font.row_bytes, rows[i].row_bytes);
            assert_int_equal(p.font.glyph_bytes, rows[i].height * rows[i].row_bytes);
            assert_ptr_equal(p.font.glyphs, p.data + rows[i].glyph_at);
            for (uint32_t c = 0; c < PSF_MAP_SIZE; c++)
                assert_true(p.font.map[c] < p.font.glyph_count);
            parsed_free(&p);
        }
    }
}

/* ---- bad fonts ---------------------------------------------------------- */

#define WHOLE  PTRDIFF_MAX     /* keep: the whole file */
#define CUT(n) (-(ptrdiff_t)(n))   /* keep: all but the last n bytes */

static void test_bad_fonts(void **state)
{
    static const struct {
        const char *what;
        enum kind kind;
        size_t at;         /* byte offset patched */
        int width;         /* 0 no patch, 1 a byte, 4 a LE32 field */
        uint32_t value;
        ptrdiff_t keep;    /* bytes kept from the start, or CUT(n) */
    } rows[] = {
        { "empty file",                     PSF1_PLAIN, 0, 0, 0, 0 },
        { "one byte",                       PSF1_PLAIN, 0, 0, 0, 1 },
        { "psf1 header cut",                PSF1_PLAIN, 0, 0, 0, PSF1_HEADER - 1 },
        { "psf2 header cut",                PSF2_PLAIN, 0, 0, 0, PSF2_HEADER - 1 },
        { "psf1 bad magic byte 0",          PSF1_PLAIN, 0, 1, 0x37, WHOLE },
        { "psf1 bad magic byte 1",          PSF1_PLAIN, 1, 1, 0x05, WHOLE },
        { "psf1 zero height",               PSF1_PLAIN, 3, 1, 0, WHOLE },
        { "psf1 height over the maximum",   PSF1_PLAIN, 3, 1, PSF_MAX_HEIGHT + 1, WHOLE },
        { "psf1 absurd height",             PSF1_PLAIN, 3, 1, 0xFF, WHOLE },
        { "psf1 512 glyphs, 256 present",   PSF1_PLAIN, 2, 1, PSF1_MODE512, WHOLE },
        { "psf1 glyph table cut",           PSF1_PLAIN, 0, 0, 0, CUT(1) },
        { "psf1 glyph table cut in half",   PSF1_PLAIN, 0, 0, 0, PSF1_HEADER + 128 * 16 },
        { "psf1 table flag, no table",      PSF1_PLAIN, 2, 1, PSF1_MODEHASTAB, WHOLE },
        { "psf1 sequence flag, no table",   PSF1_PLAIN, 2, 1, PSF1_MODESEQ, WHOLE },
        { "psf1 table cut mid-entry",       PSF1_TABLE, 0, 0, 0, CUT(1) },
        { "psf1 table missing its end",     PSF1_TABLE, 0, 0, 0, CUT(2) },
        { "psf1 table, glyphs only",        PSF1_TABLE, 0, 0, 0, PSF1_HEADER + 256 * 14 },
        { "psf2 bad magic",                 PSF2_PLAIN, P2_MAGIC, 4, PSF2_MAGIC ^ 1, WHOLE },
        { "psf1 magic over a psf2 header", PSF2_PLAIN, P2_MAGIC, 4, 0x00000436, WHOLE },
        { "psf2 version 1",                 PSF2_PLAIN, P2_VERSION, 4, 1, WHOLE },
        { "psf2 absurd version",            PSF2_PLAIN, P2_VERSION, 4, 0xFFFFFFFF, WHOLE },
        { "psf2 header size 31",            PSF2_PLAIN, P2_HSIZE, 4, PSF2_HEADER - 1, WHOLE },
        { "psf2 header size 0",             PSF2_PLAIN, P2_HSIZE, 4, 0, WHOLE },
        { "psf2 header past the end",       PSF2_PLAIN, P2_HSIZE, 4, IMAGE_MAX, WHOLE },
        { "psf2 absurd header size",        PSF2_PLAIN, P2_HSIZE, 4, 0xFFFFFFFF, WHOLE },
        { "psf2 header eats a glyph",       PSF2_PLAIN, P2_HSIZE, 4, PSF2_HEADER + 1, WHOLE },
        { "psf2 zero glyphs",               PSF2_PLAIN, P2_LENGTH, 4, 0, WHOLE },
        { "psf2 one glyph too many",        PSF2_PLAIN, P2_LENGTH, 4, PLAIN2_GLYPHS + 1, WHOLE },
        { "psf2 absurd glyph count",        PSF2_PLAIN, P2_LENGTH, 4, 0xFFFFFFFF, WHOLE },
        { "psf2 glyph count 2^31",          PSF2_PLAIN, P2_LENGTH, 4, 0x80000000, WHOLE },
        { "psf2 charsize too big",          PSF2_PLAIN, P2_CHARSIZE, 4, 17, WHOLE },
        { "psf2 charsize too small",        PSF2_PLAIN, P2_CHARSIZE, 4, 15, WHOLE },
        { "psf2 charsize 0",                PSF2_PLAIN, P2_CHARSIZE, 4, 0, WHOLE },
        { "psf2 absurd charsize",           PSF2_PLAIN, P2_CHARSIZE, 4, 0xFFFFFFFF, WHOLE },
        { "psf2 zero height",               PSF2_PLAIN, P2_HEIGHT, 4, 0, WHOLE },
        { "psf2 height over the maximum",   PSF2_PLAIN, P2_HEIGHT, 4, PSF_MAX_HEIGHT + 1, WHOLE },
        { "psf2 absurd height",             PSF2_PLAIN, P2_HEIGHT, 4, 0xFFFFFFFF, WHOLE },
        { "psf2 zero width",                PSF2_PLAIN, P2_WIDTH, 4, 0, WHOLE },
        { "psf2 width over the maximum",    PSF2_PLAIN, P2_WIDTH, 4, PSF_MAX_WIDTH + 1, WHOLE },
        { "psf2 absurd width",              PSF2_PLAIN, P2_WIDTH, 4, 0xFFFFFFFF, WHOLE },
        { "psf2 width 9: two-byte rows",    PSF2_PLAIN, P2_WIDTH, 4, 9, WHOLE },
        { "psf2 glyph table cut",           PSF2_PLAIN, 0, 0, 0, CUT(1) },
        { "psf2 table flag, no table",      PSF2_PLAIN, P2_FLAGS, 4, PSF2_HAS_TABLE, WHOLE },
        { "psf2 table cut",                 PSF2_TABLE, 0, 0, 0, CUT(1) },
        { "psf2 table, glyphs only",        PSF2_TABLE, 0, 0, 0, T2_TABLE_AT },
        { "psf2 table cut inside UTF-8",    PSF2_TABLE, 0, 0, 0, T2_EURO_AT + 1 },
        { "psf2 table: lead, no trail",     PSF2_TABLE, T2_TABLE_AT + 1, 1, 0xC3, WHOLE },
        { "psf2 table: stray trail byte",   PSF2_TABLE, T2_TABLE_AT + 1, 1, 0x80, WHOLE },
        { "psf2 table: 5-byte lead",        PSF2_TABLE, T2_TABLE_AT + 1, 1, 0xF8, WHOLE },
        { "psf2 table: trail not 10xxxxxx", PSF2_TABLE, T2_EURO_AT + 1, 1, 0x41, WHOLE },
    };
    static struct font f;
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        build(rows[i].kind, &f);
        if (rows[i].width == 1)
            f.bytes[rows[i].at] = (uint8_t)rows[i].value;
        else if (rows[i].width == 4)
            put_le32(f.bytes + rows[i].at, rows[i].value);
        ptrdiff_t keep = rows[i].keep;
        size_t size = keep == WHOLE ? f.size : keep < 0 ? f.size - (size_t)-keep : (size_t)keep;
        assert_true(size <= f.size);

        struct parsed p;
        parse(&p, &f, size, 0);
        if (p.rc != -E_INVAL)
            fail_msg("%s: rc %d, want %d", rows[i].what, p.rc, -E_INVAL);
        parsed_free(&p);
    }
}

/* Each good font parses only whole: any shorter prefix is a cut header,
 * glyph table or Unicode table. */
static void test_every_prefix_fails(void **state)
{
    static const enum kind kinds[] = { PSF1_PLAIN, PSF1_TABLE, PSF2_PLAIN, PSF2_TABLE,
                                       PSF2_WIDE, PSF2_BIG_HEADER };
    static struct font f;
    (void)state;

    for (size_t k = 0; k < ARRAY_LEN(kinds); k++) {
        build(kinds[k], &f);
        for (size_t size = 0; size < f.size; size++) {
            struct parsed p;
            parse(&p, &f, size, 0);
            if (p.rc != -E_INVAL)
                fail_msg("font %d cut to %zu of %zu bytes: rc %d", kinds[k], size, f.size, p.rc);
            parsed_free(&p);
        }
    }
}

/* ---- code point -> glyph ------------------------------------------------ */

#define LOOKUPS_MAX 10

static void test_lookups(void **state)
{
    static const struct {
        const char *what;
        enum kind kind;
        struct { uint32_t cp, glyph; } look[LOOKUPS_MAX];
        size_t n;
    } rows[] = {
        { "psf1 no table: identity below 256, '?' above", PSF1_PLAIN,
          { { 0, 0 }, { 'A', 'A' }, { 0xE9, 0xE9 }, { 255, 255 }, { 256, QUESTION },
            { 0x20AC, QUESTION }, { UINT32_MAX, QUESTION } }, 7 },
        { "psf1 512: the first 256 only", PSF1_512,
          { { 'A', 'A' }, { 255, 255 }, { 256, QUESTION }, { 300, QUESTION } }, 4 },
        { "psf1 table", PSF1_TABLE,
          { { 'A', 0 }, { QUESTION, 1 }, { 'B', 2 }, { 0xE9, 3 }, { 'C', 1 }, { 0, 1 },
            { 0x20AC, 1 }, { 255, 1 } }, 8 },
        { "psf1 sequences flag reads the table", PSF1_SEQ,
          { { 'A', 0 }, { QUESTION, 1 }, { 'B', 2 }, { 0xE9, 3 }, { 'C', 1 } }, 5 },
        { "psf2 no table, 128 glyphs", PSF2_PLAIN,
          { { 0, 0 }, { 'A', 'A' }, { 127, 127 }, { 128, QUESTION }, { 0xE9, QUESTION },
            { 0x1F600, QUESTION } }, 6 },
        { "psf2 no table, no '?' glyph: glyph 0", PSF2_FEW,
          { { 0, 0 }, { 7, 7 }, { 8, 0 }, { 'A', 0 }, { QUESTION, 0 }, { 1000, 0 } }, 6 },
        { "psf2 table", PSF2_TABLE,
          { { 'A', 1 }, { QUESTION, 2 }, { 'B', 3 }, { 0xE9, 3 }, { 'Z', 2 }, { 0, 2 },
            { 0x20AC, 2 }, { 0x1F600, 2 }, { 255, 2 } }, 9 },
        { "psf2 table without '?': glyph 0", PSF2_NO_QUESTION,
          { { 'A', 1 }, { QUESTION, 0 }, { 'B', 0 }, { 0x20AC, 0 } }, 4 },
    };
    static struct font f;
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct parsed p;
        build(rows[i].kind, &f);
        parse(&p, &f, f.size, 1);
        assert_int_equal(p.rc, 0);
        for (size_t j = 0; j < rows[i].n; j++) {
            uint32_t got = glyph_of(&p, rows[i].look[j].cp);
            if (got != rows[i].look[j].glyph)
                fail_msg("%s: U+%04X -> glyph %u, want %u", rows[i].what, rows[i].look[j].cp,
                         got, rows[i].look[j].glyph);
            /* The bitmap is that glyph's bytes (add_glyphs wrote its index). */
            assert_int_equal(psf_glyph(&p.font, rows[i].look[j].cp)[0], (uint8_t)got);
        }
        parsed_free(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_fonts),
        cmocka_unit_test(test_bad_fonts),
        cmocka_unit_test(test_every_prefix_fails),
        cmocka_unit_test(test_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
