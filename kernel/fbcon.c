/* Framebuffer console and memory picture.
 *
 * Screen layout (once fbcon_draw_memory_picture has run; before that the
 * console has the whole screen):
 *
 *   +--------------------------------------------------------------+
 *   | title: physical memory, span, ranges                         |
 *   | [bar: tracker ranges in address order, coloured by type]     |
 *   |  address labels under ticks; "^ kernel" marker               |
 *   | legend: swatch, type name, bytes (one entry per type present) |
 *   |--------------------------------------------------------------|
 *   | text console: the last lines the kernel printed; scrolls     |
 *   | inside its own region only                                   |
 *   +--------------------------------------------------------------+
 *
 * Invariants:
 *  - cells[][] mirrors exactly what the console region shows: every change
 *    to a cell is drawn at once, and scrolling redraws only the cells whose
 *    content changes. The framebuffer is write-combining memory, so it is
 *    never read back: cells[] is the only copy of the text we consult.
 *  - Every pixel store goes through a colour packed once at init for the
 *    format GOP reported (RGBX, BGRX or bit masks), 4 bytes per pixel (the
 *    loader's contract: all GOP formats it accepts are 32-bit), rows
 *    `pitch` bytes apart (pitch may exceed width * 4).
 *  - Callers serialise fbcon_write (console.c's lock). The picture is drawn
 *    from kmain before other CPUs print.
 */
#include <string.h>

#include "fbcon.h"
#include "fmt.h"
#include "kernel.h"
#include "psf.h"
#include "x86/cpu.h"

/* The font: a PSF file linked in by the Makefile's font block. */
extern const uint8_t _binary_font_psf_start[], _binary_font_psf_end[];

#define FB_BYTES_PER_PIXEL  4
#define RGB_R(c)            (((c) >> 16) & 0xFF)
#define RGB_G(c)            (((c) >> 8) & 0xFF)
#define RGB_B(c)            ((c) & 0xFF)
#define FB_MASK_BYTE0       0x000000FFU    /* RGBX red, BGRX blue */
#define FB_MASK_BYTE1       0x0000FF00U
#define FB_MASK_BYTE2       0x00FF0000U    /* RGBX blue, BGRX red */

/* Colours (0xRRGGBB). tests/boot/check_screen.py reads these and type_rgb
 * from this file: keep the `#define RGB_... 0x` and `[PMEM_...] = 0x` forms. */
#define RGB_BACKGROUND  0x101418
#define RGB_TEXT        0xC8CCD0
#define RGB_ALERT_FG    0xFFFFFF   /* faults and panics: white on red */
#define RGB_ALERT_BG    0xC01818
#define RGB_TITLE       0xFFFFFF
#define RGB_DIM         0x8C98A4   /* ticks, address labels, separator */
#define RGB_HOLE        0x3A4450   /* hatch stripes of a hole */

/* One colour per tracker type, chosen to be told apart at a glance: RAM
 * greens, kernel warm colours, firmware blues/purples, devices greys. */
static const uint32_t type_rgb[PMEM_TYPE_COUNT] = {
    [PMEM_USABLE] = 0x3CB44B,             [PMEM_BOOT_SERVICES] = 0x9ED89A,
    [PMEM_LOADER_RECLAIMABLE] = 0xC8D45A, [PMEM_KERNEL_IMAGE] = 0xFF8C1A,
    [PMEM_KERNEL_PAGETABLES] = 0xF032E6,  [PMEM_KERNEL_STACK] = 0xFFE119,
    [PMEM_KERNEL_HEAP] = 0xFABED4,        [PMEM_KERNEL_DATA] = 0xB4783C,
    [PMEM_AP_TRAMPOLINE] = 0x42D4F4,      [PMEM_ACPI_RECLAIMABLE] = 0x7AB8FF,
    [PMEM_ACPI_NVS] = 0x4363D8,           [PMEM_FIRMWARE_RUNTIME] = 0x9A3FD0,
    [PMEM_MMIO] = 0x9098A0,               [PMEM_FRAMEBUFFER] = 0x20A0A0,
    [PMEM_PERSISTENT] = 0xDCBEFF,         [PMEM_UNACCEPTED] = 0xFFF5C0,
    [PMEM_BAD] = 0x800000,                [PMEM_RESERVED] = 0x5A6068,
};

/* HiDPI: the font is drawn `scale` times larger, scale = max(width / 960,
 * height / 600) clamped to [1, 4]: 2x from 1920 wide or 1200 tall. */
#define SCALE_WIDTH_STEP   960
#define SCALE_HEIGHT_STEP  600
#define SCALE_MAX          4

/* Text grid storage: enough for every screen up to 7680 pixels wide at
 * 4x, or 1919 at 1x (8-pixel glyphs); larger screens use part of it. */
#define FBCON_MAX_COLS     240
#define FBCON_MAX_ROWS     80
#define TAB_STOP           8
#define MARGIN_COLS        1      /* blank cells left and right of the text */
#define CELL_STYLE_SHIFT   8      /* cell = code point | style << 8 */
#define CELL(ch, st)       ((uint16_t)((ch) | (uint32_t)(st) << CELL_STYLE_SHIFT))
#define CELL_BLANK         CELL(' ', FBCON_NORMAL)
#define CELL_CHAR(cell)    ((cell) & 0xFF)
#define CELL_STYLE(cell)   ((enum fbcon_style)((cell) >> CELL_STYLE_SHIFT))

/* Memory picture geometry, in text cells unless noted (scaled with them). */
#define BAR_ROWS           2      /* bar height */
#define LEGEND_ENTRY_COLS  34     /* swatch, name (<= 18), size */
#define SWATCH_COLS        3
#define MIN_RANGE_PX       4      /* every tracker range is at least this wide (x scale) */
#define HOLE_COLS          2      /* a hole's fixed width, whatever its size */
#define HATCH_PERIOD_PX    6      /* diagonal hatch: one stripe every 6 px (x scale) */
#define HATCH_STRIPE_PX    2
#define TICK_PX            4
#define SEPARATOR_PX       2
#define MIN_CONSOLE_ROWS   8      /* the picture is skipped if it would leave less */
#define LABEL_MAX          24

struct channel { uint32_t shift, bits; };

static struct {
    uint8_t *base;                  /* HHDM alias of the framebuffer */
    uint32_t width, height, pitch;  /* pitch in bytes */
    struct channel r, g, b;
} fb;

enum color { C_BG, C_TEXT, C_ALERT_FG, C_ALERT_BG, C_TITLE, C_DIM, C_HOLE, C_COUNT };
static uint32_t color_px[C_COUNT];           /* packed for fb's format */
static uint32_t type_px[PMEM_TYPE_COUNT];

static struct psf_font font;
static bool ready;
static const char *off_reason = "no-framebuffer";  /* why not ready, for the report line */
static uint32_t scale, cell_w, cell_h;
static uint32_t cols, con_rows, con_x, con_y;      /* console region */
static uint32_t cur_row, cur_col;
static uint16_t cells[FBCON_MAX_ROWS][FBCON_MAX_COLS];
static uint64_t draw_ticks;

/* ---- pixels ------------------------------------------------------------ */

/* A contiguous, non-empty mask -> its shift and width. */
static bool channel_from_mask(uint32_t mask, struct channel *c)
{
    if (mask == 0)
        return false;
    c->shift = (uint32_t)__builtin_ctz(mask);
    uint32_t m = mask >> c->shift;
    if (m & (m + 1))
        return false;
    c->bits = m == UINT32_MAX ? 32 : (uint32_t)__builtin_ctz(~m);
    return true;
}

/* An 8-bit component placed in a channel of any width: narrower channels
 * keep the high bits; wider ones repeat them below, so 0xFF is full scale
 * (0x3FF in a 10-bit channel). */
static uint32_t channel_value(uint32_t v8, struct channel c)
{
    uint32_t v = c.bits >= 8 ? v8 << (c.bits - 8) : v8 >> (8 - c.bits);
    if (c.bits > 8 && c.bits < 16)
        v |= v8 >> (16 - c.bits);
    return v << c.shift;   /* shift + bits <= 32: the mask was a uint32_t */
}

static uint32_t pack(uint32_t rgb)
{
    return channel_value(RGB_R(rgb), fb.r) | channel_value(RGB_G(rgb), fb.g) |
           channel_value(RGB_B(rgb), fb.b);
}

static bool fb_setup_format(const struct bootinfo_fb *f)
{
    uint32_t rm = f->red_mask, gm = f->green_mask, bm = f->blue_mask;

    if (f->format == FB_FORMAT_RGBX) {
        rm = FB_MASK_BYTE0, gm = FB_MASK_BYTE1, bm = FB_MASK_BYTE2;
    } else if (f->format == FB_FORMAT_BGRX) {
        rm = FB_MASK_BYTE2, gm = FB_MASK_BYTE1, bm = FB_MASK_BYTE0;
    } else if (f->format != FB_FORMAT_BITMASK) {
        return false;
    }
    return channel_from_mask(rm, &fb.r) && channel_from_mask(gm, &fb.g) &&
           channel_from_mask(bm, &fb.b) && !(rm & gm) && !(rm & bm) && !(gm & bm);
}

static uint32_t *pixel_at(uint32_t x, uint32_t y)
{
    return (uint32_t *)(fb.base + (size_t)y * fb.pitch + (size_t)x * FB_BYTES_PER_PIXEL);
}

/* Fill [x, x+w) x [y, y+h), clipped to the screen. */
static void fill_rect(uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t px)
{
    if (x >= fb.width || y >= fb.height)
        return;
    w = MIN(w, fb.width - x);
    h = MIN(h, fb.height - y);
    for (uint32_t j = 0; j < h; j++) {
        uint32_t *p = pixel_at(x, y + j);
        for (uint32_t i = 0; i < w; i++)
            p[i] = px;
    }
}

/* Diagonal stripes: a hole in the physical address space. */
static void hatch_rect(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
    uint32_t period = HATCH_PERIOD_PX * scale, stripe = HATCH_STRIPE_PX * scale;

    fill_rect(x, y, w, h, color_px[C_BG]);
    for (uint32_t j = 0; j < h && y + j < fb.height; j++)
        for (uint32_t i = 0; i < w && x + i < fb.width; i++)
            if ((x + i + y + j) % period < stripe)
                *pixel_at(x + i, y + j) = color_px[C_HOLE];
}

/* One glyph at pixel (x, y), scaled: each font row is expanded once into
 * `line`, then stored `scale` times. Caller keeps the cell on screen. */
static void draw_glyph(uint32_t x, uint32_t y, uint32_t ch, uint32_t fg, uint32_t bg)
{
    uint32_t line[PSF_MAX_WIDTH * SCALE_MAX];
    const uint8_t *row = psf_glyph(&font, ch);

    for (uint32_t gy = 0; gy < font.height; gy++, row += font.row_bytes) {
        for (uint32_t gx = 0; gx < font.width; gx++) {
            uint32_t px = row[gx / 8] & (0x80 >> (gx % 8)) ? fg : bg;
            for (uint32_t s = 0; s < scale; s++)
                line[gx * scale + s] = px;
        }
        for (uint32_t s = 0; s < scale; s++) {
            uint32_t *p = pixel_at(x, y + gy * scale + s);
            for (uint32_t i = 0; i < cell_w; i++)
                p[i] = line[i];
        }
    }
}

/* Text at pixel (x, y), clipped at the right edge; returns the x after it. */
static uint32_t draw_text(uint32_t x, uint32_t y, const char *s, enum color fg)
{
    for (; *s && x + cell_w <= fb.width && y + cell_h <= fb.height; s++, x += cell_w)
        draw_glyph(x, y, (unsigned char)*s, color_px[fg], color_px[C_BG]);
    return x;
}

/* ---- text console -------------------------------------------------------- */

static void draw_cell(uint32_t row, uint32_t col, uint16_t cell)
{
    bool alert = CELL_STYLE(cell) == FBCON_ALERT;
    draw_glyph(con_x + col * cell_w, con_y + row * cell_h, CELL_CHAR(cell),
               color_px[alert ? C_ALERT_FG : C_TEXT], color_px[alert ? C_ALERT_BG : C_BG]);
}

static void set_cell(uint32_t row, uint32_t col, uint16_t cell)
{
    if (cells[row][col] != cell) {
        cells[row][col] = cell;
        draw_cell(row, col, cell);
    }
}

/* Move every line up one. Only cells whose content changes are redrawn:
 * a boot log's lines share prefixes and blank tails, so that is far less
 * than the whole region, and nothing is read back from the framebuffer. */
static void scroll(void)
{
    for (uint32_t r = 0; r + 1 < con_rows; r++)
        for (uint32_t c = 0; c < cols; c++)
            set_cell(r, c, cells[r + 1][c]);
    for (uint32_t c = 0; c < cols; c++)
        set_cell(con_rows - 1, c, CELL_BLANK);
}

static void newline(enum fbcon_style style)
{
    /* An alert line becomes a full-width band, so it stands out. */
    if (style == FBCON_ALERT)
        for (uint32_t c = cur_col; c < cols; c++)
            set_cell(cur_row, c, CELL(' ', style));
    cur_col = 0;
    if (++cur_row == con_rows) {
        scroll();
        cur_row = con_rows - 1;
    }
}

static void put_char(unsigned char ch, enum fbcon_style style)
{
    if (ch == '\n') {
        newline(style);
        return;
    }
    if (ch == '\r') {
        cur_col = 0;
        return;
    }
    if (ch == '\t') {
        do
            put_char(' ', style);
        while (cur_col % TAB_STOP);
        return;
    }
    if (cur_col == cols)
        newline(style);
    /* Other bytes are drawn as Latin-1: the font's table maps them;
     * control characters get the font's replacement glyph. */
    set_cell(cur_row, cur_col++, CELL(ch < ' ' ? '?' : ch, style));
}

/* Give the console the region from pixel row `top` down, keeping the most
 * recent lines that fit, and redraw it. */
static void console_layout(uint32_t top)
{
    uint32_t rows = MIN((fb.height - top) / cell_h, FBCON_MAX_ROWS);

    if (cur_row >= rows) {
        uint32_t drop = cur_row + 1 - rows;
        memmove(cells[0], cells[drop], (size_t)(con_rows - drop) * sizeof(cells[0]));
        for (uint32_t r = con_rows - drop; r < con_rows; r++)
            for (uint32_t c = 0; c < cols; c++)
                cells[r][c] = CELL_BLANK;
        cur_row -= drop;
    }
    con_y = top;
    con_rows = rows;
    fill_rect(0, top, fb.width, fb.height - top, color_px[C_BG]);
    for (uint32_t r = 0; r < con_rows; r++)
        for (uint32_t c = 0; c < cols; c++)
            if (cells[r][c] != CELL_BLANK)
                draw_cell(r, c, cells[r][c]);
}

void fbcon_write(const char *s, enum fbcon_style style)
{
    if (!ready)
        return;
    uint64_t t0 = rdtsc();
    for (; *s; s++)
        put_char((unsigned char)*s, style);
    draw_ticks += rdtsc() - t0;
}

uint64_t fbcon_draw_ticks(void)
{
    return draw_ticks;
}

/* ---- init ------------------------------------------------------------------ */

static const char *fb_setup(const struct bootinfo_fb *f)
{
    if (f->base == 0 || f->format == FB_FORMAT_NONE)
        return "no-framebuffer";
    if (f->width == 0 || f->height == 0 || f->pitch / FB_BYTES_PER_PIXEL < f->width ||
        (uint64_t)f->pitch * f->height > f->size)
        return "bad-geometry";
    if (!fb_setup_format(f))
        return "bad-pixel-format";
    fb.base = phys_to_virt(f->base);
    fb.width = f->width;
    fb.height = f->height;
    fb.pitch = f->pitch;
    return NULL;
}

void fbcon_init(const struct bootinfo *bi)
{
    static const uint32_t base_rgb[C_COUNT] = {
        [C_BG] = RGB_BACKGROUND, [C_TEXT] = RGB_TEXT, [C_ALERT_FG] = RGB_ALERT_FG,
        [C_ALERT_BG] = RGB_ALERT_BG, [C_TITLE] = RGB_TITLE, [C_DIM] = RGB_DIM,
        [C_HOLE] = RGB_HOLE,
    };
    uint64_t t0 = rdtsc();

    if ((off_reason = fb_setup(&bi->fb)))
        return;
    if (psf_parse(&font, _binary_font_psf_start,
                  (size_t)(_binary_font_psf_end - _binary_font_psf_start))) {
        off_reason = "bad-font";
        return;
    }
    scale = MAX(fb.width / SCALE_WIDTH_STEP, fb.height / SCALE_HEIGHT_STEP);
    scale = MIN(MAX(scale, 1), SCALE_MAX);
    cell_w = font.width * scale;
    cell_h = font.height * scale;
    cols = fb.width / cell_w;
    cols = MIN(cols > 4 * MARGIN_COLS ? cols - 2 * MARGIN_COLS : cols, FBCON_MAX_COLS);
    if (cols == 0 || fb.height / cell_h == 0) {
        off_reason = "screen-too-small";
        return;
    }
    con_x = (fb.width - cols * cell_w) / 2;
    for (int c = 0; c < C_COUNT; c++)
        color_px[c] = pack(base_rgb[c]);
    for (int t = 0; t < PMEM_TYPE_COUNT; t++)
        type_px[t] = pack(type_rgb[t]);
    for (uint32_t r = 0; r < FBCON_MAX_ROWS; r++)
        for (uint32_t c = 0; c < FBCON_MAX_COLS; c++)
            cells[r][c] = CELL_BLANK;
    console_layout(0);
    ready = true;
    draw_ticks += rdtsc() - t0;
}

/* ---- memory picture -------------------------------------------------------- */

/* The bar's scale. Physical space is sparse (RAM to 2 GiB, a hole, MMIO
 * under 4 GiB, RAM again above), and the ranges that matter most (kernel,
 * page tables, trampoline) are a few KiB. So: every tracker range gets
 * min_px, the pixels left over (extra_px) are shared linearly by size
 * between ranges, and each hole (address space no range covers) is drawn
 * hatched at a fixed hole_px whatever its size: holes are not to scale.
 * With more ranges than the minimum allows, min_px and hole_px shrink,
 * down to 0 (the smallest ranges may then vanish). */
struct bar {
    uint32_t x, y, w, h;
    uint32_t min_px, hole_px, extra_px;
    uint64_t holes;                 /* hole segments */
    uint64_t total_pages;           /* pages in all ranges, >> size_shift */
    unsigned size_shift;            /* pages < 2^40 and extra_px <= w < 2^13 (FBCON_MAX_COLS
                                     * cells of <= 32 px): extra_px * pages fits 64 bits */
    uint64_t fixed_done, pages_done;
};

/* A step of the walk over address order: a range, or the hole before it. */
struct segment {
    paddr_t base, end;
    enum pmem_type type;            /* PMEM_NONE: a hole */
};

static bool segment_next(const struct pmem *pm, size_t *i, paddr_t *pos, struct segment *s)
{
    if (*i >= pm->count)
        return false;
    const struct pmem_range *r = &pm->ranges[*i];
    if (r->base > *pos) {
        *s = (struct segment){ *pos, r->base, PMEM_NONE };
    } else {
        /* pmem_check vouched for the types; a bad one is drawn as reserved
         * rather than indexing past the palette. */
        enum pmem_type t = r->type < PMEM_TYPE_COUNT ? (enum pmem_type)r->type : PMEM_RESERVED;
        *s = (struct segment){ r->base, r->end, t };
        (*i)++;
    }
    *pos = s->end;
    return true;
}

static void bar_plan(struct bar *b, const struct pmem *pm)
{
    uint64_t ranges = 0, holes = 0, pages = 0;
    struct segment s;
    size_t i = 0;
    paddr_t pos = 0;

    while (segment_next(pm, &i, &pos, &s)) {
        if (s.type == PMEM_NONE) {
            holes++;
        } else {
            ranges++;
            pages += (s.end - s.base) >> PAGE_SHIFT;
        }
    }
    b->min_px = MIN_RANGE_PX * scale;
    b->hole_px = HOLE_COLS * cell_w;
    if (ranges * b->min_px + holes * b->hole_px > b->w)
        b->min_px = b->hole_px = (uint32_t)(b->w / (ranges + holes));
    b->extra_px = (uint32_t)(b->w - ranges * b->min_px - holes * b->hole_px);
    for (b->size_shift = 0; (pages >> b->size_shift) >> 40; b->size_shift++)
        ;
    b->total_pages = MAX(pages >> b->size_shift, 1);
    b->holes = holes;
    b->fixed_done = b->pages_done = 0;
}

/* Where the walk is, in pixels: computed from the running totals, not by
 * adding rounded widths, so rounding never adds up along the bar. */
static uint32_t bar_pos(const struct bar *b)
{
    return b->x + (uint32_t)(b->fixed_done + b->extra_px * b->pages_done / b->total_pages);
}

static void bar_advance(struct bar *b, const struct segment *s)
{
    if (s->type == PMEM_NONE) {
        b->fixed_done += b->hole_px;
    } else {
        b->fixed_done += b->min_px;
        b->pages_done += ((s->end - s->base) >> PAGE_SHIFT) >> b->size_shift;
    }
}

/* Bytes or addresses in binary units, 3 significant digits at most:
 * 0, 636K, 1M, 2.75G, 40.5M, 976M. Truncated, never rounded up. */
static void format_size(char *buf, size_t n, uint64_t v)
{
    static const char units[] = "KMGTPE";
    uint64_t unit = KiB;
    int u = 0;

    if (v < KiB) {
        fmt_snprintf(buf, n, "%lu", (unsigned long)v);
        return;
    }
    while (u + 1 < (int)sizeof(units) - 1 && v / unit >= KiB) {
        unit *= KiB;
        u++;
    }
    /* (v % unit) * 100 / unit, without overflowing for the largest units. */
    unsigned long whole = v / unit, hundredths = (v % unit) / (unit / KiB) * 100 / KiB;
    if (hundredths == 0 || whole >= 100)
        fmt_snprintf(buf, n, "%lu%c", whole, units[u]);
    else if (whole < 10)
        fmt_snprintf(buf, n, "%lu.%02lu%c", whole, hundredths, units[u]);
    else
        fmt_snprintf(buf, n, "%lu.%lu%c", whole, hundredths / 10, units[u]);
}

/* An address label under the bar with its tick; skipped if it would touch
 * the previous label (*free_x is where the next one may start). */
enum align { ALIGN_LEFT, ALIGN_RIGHT };
static void bar_label(const struct bar *b, uint32_t x, paddr_t addr, enum align a, uint32_t *free_x)
{
    char text[LABEL_MAX];
    format_size(text, sizeof(text), addr);
    uint32_t w = (uint32_t)strlen(text) * cell_w;
    uint32_t start = a == ALIGN_LEFT ? x : (x >= w ? x - w : 0);

    if (start < *free_x || start + w > fb.width)
        return;
    fill_rect(x == b->x + b->w ? x - scale : x, b->y + b->h, scale, TICK_PX * scale, color_px[C_DIM]);
    draw_text(start, b->y + b->h + TICK_PX * scale, text, C_DIM);
    *free_x = start + w + cell_w;
}

/* "^ kernel 0x..." under the kernel image, pointing left or right so it
 * stays on screen. */
static void kernel_marker(uint32_t mid, uint32_t y, paddr_t base)
{
    char text[LABEL_MAX + 8];
    size_t len = (size_t)fmt_snprintf(text, sizeof(text), "^ kernel 0x%lx", (unsigned long)base);

    if (mid + len * cell_w <= fb.width) {
        draw_text(mid - MIN(mid, cell_w / 2), y, text, C_TITLE);
    } else {
        fmt_snprintf(text, sizeof(text), "kernel 0x%lx ^", (unsigned long)base);
        draw_text(mid + cell_w / 2 - MIN(mid + cell_w / 2, len * cell_w), y, text, C_TITLE);
    }
}

static void draw_bar(struct bar *b, const struct pmem *pm, uint32_t marker_y)
{
    uint32_t free_x = 0, x0, x1;
    bool kernel_marked = false;
    struct segment s, prev = { 0, 0, PMEM_NONE };
    size_t i = 0;
    paddr_t pos = 0;

    while (segment_next(pm, &i, &pos, &s)) {
        x0 = bar_pos(b);
        bar_advance(b, &s);
        x1 = bar_pos(b);
        if (s.type == PMEM_NONE)
            hatch_rect(x0, b->y, x1 - x0, b->h);
        else
            fill_rect(x0, b->y, x1 - x0, b->h, type_px[s.type]);
        if (s.type == PMEM_NONE && prev.type != PMEM_NONE)
            bar_label(b, x0, s.base, ALIGN_RIGHT, &free_x);
        if (s.base == 0 || (s.type != PMEM_NONE && prev.type == PMEM_NONE))
            bar_label(b, x0, s.base, ALIGN_LEFT, &free_x);
        if (s.type == PMEM_KERNEL_IMAGE && !kernel_marked) {
            kernel_marker(x0 + (x1 - x0) / 2, marker_y, s.base);
            kernel_marked = true;
        }
        prev = s;
    }
    bar_label(b, b->x + b->w, pos, ALIGN_RIGHT, &free_x);
}

/* Legend entry k: a swatch (a type's colour, or hatched for holes), then
 * the text. Entries fill rows of `per_row` from (x, y). */
static void legend_entry(uint32_t k, uint32_t per_row, uint32_t x, uint32_t y, int type,
                         const char *text)
{
    uint32_t ex = x + (k % per_row) * LEGEND_ENTRY_COLS * cell_w, ey = y + (k / per_row) * cell_h;
    uint32_t sw = (SWATCH_COLS - 1) * cell_w, inset = 2 * scale;

    if (type == PMEM_NONE)
        hatch_rect(ex, ey + inset, sw, cell_h - 2 * inset);
    else
        fill_rect(ex, ey + inset, sw, cell_h - 2 * inset, type_px[type]);
    draw_text(ex + SWATCH_COLS * cell_w, ey, text, C_TEXT);
}

/* Legend: one entry per type present, in tracker-type order, then holes. */
static void draw_legend(const struct pmem *pm, uint32_t x, uint32_t y, uint32_t per_row,
                        bool holes)
{
    uint64_t totals[PMEM_TYPE_COUNT];
    char text[LEGEND_ENTRY_COLS + 1], size[LABEL_MAX];
    uint32_t k = 0;

    pmem_totals(pm, totals);
    for (int t = PMEM_USABLE; t < PMEM_TYPE_COUNT; t++) {
        if (!totals[t])
            continue;
        format_size(size, sizeof(size), totals[t]);
        fmt_snprintf(text, sizeof(text), "%-18s %s", pmem_type_name((enum pmem_type)t), size);
        legend_entry(k++, per_row, x, y, t, text);
    }
    if (holes)
        legend_entry(k, per_row, x, y, PMEM_NONE, "hole (not to scale)");
}

static uint32_t legend_entries(const struct pmem *pm, bool holes)
{
    uint64_t totals[PMEM_TYPE_COUNT];
    uint32_t n = holes;

    pmem_totals(pm, totals);
    for (int t = PMEM_USABLE; t < PMEM_TYPE_COUNT; t++)
        n += totals[t] != 0;
    return n;
}

static void draw_title(const struct pmem *pm, const struct bar *b, uint32_t y)
{
    char text[FBCON_MAX_COLS + 1], span[LABEL_MAX], total[LABEL_MAX];

    format_size(span, sizeof(span), pm->count ? pm->ranges[pm->count - 1].end : 0);
    format_size(total, sizeof(total), pmem_total_bytes(pm));
    fmt_snprintf(text, sizeof(text), "Physical memory 0-%s: %lu ranges, %s  ", span,
                 (unsigned long)pm->count, total);
    uint32_t x = draw_text(con_x, y, text, C_TITLE);
    fmt_snprintf(text, sizeof(text), "(each range >= %u px, the rest by size; holes hatched, not to scale)",
                 b->min_px);
    draw_text(x, y, text, C_DIM);
}

void fbcon_draw_memory_picture(const struct pmem *pm)
{
    if (!ready) {
        kprintf("pagoda: screen fb=none reason=%s\n", off_reason);
        return;
    }
    uint64_t t0 = rdtsc();
    struct bar b = { .x = con_x, .w = cols * cell_w, .h = BAR_ROWS * cell_h };
    b.y = cell_h / 2 + cell_h + cell_h / 2;           /* margin, title, gap */
    bar_plan(&b, pm);
    bool holes = b.holes > 0 && b.hole_px > 0;
    uint32_t per_row = MAX(cols / LEGEND_ENTRY_COLS, 1);
    uint32_t legend_rows = (legend_entries(pm, holes) + per_row - 1) / per_row;
    uint32_t marker_y = b.y + b.h + TICK_PX * scale + cell_h;
    uint32_t legend_y = marker_y + cell_h + cell_h / 2;
    uint32_t sep_y = legend_y + legend_rows * cell_h + cell_h / 2;
    uint32_t top = sep_y + SEPARATOR_PX * scale + cell_h / 2;

    if (top >= fb.height || (fb.height - top) / cell_h < MIN_CONSOLE_ROWS) {
        draw_ticks += rdtsc() - t0;
        kprintf("pagoda: screen picture=skipped reason=screen-too-small\n");
    } else {
        console_layout(top);
        fill_rect(0, 0, fb.width, top, color_px[C_BG]);
        draw_title(pm, &b, cell_h / 2);
        draw_bar(&b, pm, marker_y);
        draw_legend(pm, con_x, legend_y, per_row, holes);
        fill_rect(0, sep_y, fb.width, SEPARATOR_PX * scale, color_px[C_DIM]);
        draw_ticks += rdtsc() - t0;
    }
    kprintf("pagoda: screen fb=%ux%u font=%ux%u scale=%u console=%ux%u+%u+%u draw_us=%lu\n",
            fb.width, fb.height, font.width, font.height, scale, cols, con_rows, con_x, con_y,
            (unsigned long)timer_ticks_to_us(draw_ticks));
}
