/* Framebuffer console: set-up, pixels, text console.
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
 * This file sets the screen up, owns the pixels and runs the text console;
 * the picture above the console is kernel/fbcon_picture.c. The two share
 * kernel/fbcon_internal.h.
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

#include "fbcon_internal.h"
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
#define FB_MASK_BYTE3       0xFF000000U    /* reserved; some mask reaches it in any 32-bit pixel */

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

#define TAB_STOP           8
#define MARGIN_COLS        1      /* blank cells left and right of the text */
#define CELL_STYLE_SHIFT   8      /* cell = code point | style << 8 */
#define CELL(ch, st)       ((uint16_t)((ch) | (uint32_t)(st) << CELL_STYLE_SHIFT))
#define CELL_BLANK         CELL(' ', FBCON_NORMAL)
#define CELL_CHAR(cell)    ((cell) & 0xFF)
#define CELL_STYLE(cell)   ((enum fbcon_style)((cell) >> CELL_STYLE_SHIFT))
#define HATCH_PERIOD_PX    6      /* diagonal hatch: one stripe every 6 px (x scale) */
#define HATCH_STRIPE_PX    2

struct channel { uint32_t shift, bits; };

struct fbcon_screen fbcon;

static struct {
    uint8_t *base;                  /* HHDM alias of the framebuffer */
    uint32_t pitch;                 /* bytes; width and height are in fbcon */
    struct channel r, g, b;
} fb;

static struct psf_font font;
static const char *off_reason = "no-framebuffer";  /* why not ready, for the report line */
static uint32_t cur_row, cur_col;
static uint16_t cells[FBCON_MAX_ROWS][FBCON_MAX_COLS];

/* Text written before fbcon_init: the kernel starts its CPUs before it
 * draws anything (docs/design.md, "Time budget"), yet the screen must show
 * every line. The newest FBCON_EARLY_BYTES are kept, more than the console
 * has cells for; fbcon_init lays them out without drawing, then draws the
 * result once. Alerts never wait here: the first one initialises the
 * screen (fbcon_early said where it is). */
#define FBCON_EARLY_BYTES 8192
static char early[FBCON_EARLY_BYTES];
static uint64_t early_written;                /* bytes ever written; the ring holds the last */
static const struct bootinfo *early_bi;       /* set by fbcon_early, for an alert */
static bool replaying;                        /* set_cell updates cells[] only */
static bool init_tried;                       /* fbcon_init ran (ready or not) */

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
    } else if (((rm | gm | bm | f->reserved_mask) & FB_MASK_BYTE3) == 0) {
        return false;   /* masks end below bit 24: a 16- or 24-bit pixel, not drawn */
    }
    return channel_from_mask(rm, &fb.r) && channel_from_mask(gm, &fb.g) &&
           channel_from_mask(bm, &fb.b) && !(rm & gm) && !(rm & bm) && !(gm & bm);
}

static uint32_t *pixel_at(uint32_t x, uint32_t y)
{
    return (uint32_t *)(fb.base + (size_t)y * fb.pitch + (size_t)x * FB_BYTES_PER_PIXEL);
}

void fbcon_fill_rect(uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t px)
{
    if (x >= fbcon.width || y >= fbcon.height)
        return;
    w = MIN(w, fbcon.width - x);
    h = MIN(h, fbcon.height - y);
    for (uint32_t j = 0; j < h; j++) {
        uint32_t *p = pixel_at(x, y + j);
        for (uint32_t i = 0; i < w; i++)
            p[i] = px;
    }
}

void fbcon_hatch_rect(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
    uint32_t period = HATCH_PERIOD_PX * fbcon.scale, stripe = HATCH_STRIPE_PX * fbcon.scale;

    fbcon_fill_rect(x, y, w, h, fbcon.color_px[C_BG]);
    for (uint32_t j = 0; j < h && y + j < fbcon.height; j++)
        for (uint32_t i = 0; i < w && x + i < fbcon.width; i++)
            if ((x + i + y + j) % period < stripe)
                *pixel_at(x + i, y + j) = fbcon.color_px[C_HOLE];
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
            for (uint32_t s = 0; s < fbcon.scale; s++)
                line[gx * fbcon.scale + s] = px;
        }
        for (uint32_t s = 0; s < fbcon.scale; s++) {
            uint32_t *p = pixel_at(x, y + gy * fbcon.scale + s);
            for (uint32_t i = 0; i < fbcon.cell_w; i++)
                p[i] = line[i];
        }
    }
}

uint32_t fbcon_draw_text(uint32_t x, uint32_t y, const char *s, enum fbcon_color fg)
{
    uint32_t w = fbcon.cell_w;

    for (; *s && x + w <= fbcon.width && y + fbcon.cell_h <= fbcon.height; s++, x += w)
        draw_glyph(x, y, (unsigned char)*s, fbcon.color_px[fg], fbcon.color_px[C_BG]);
    return x;
}

/* ---- text console -------------------------------------------------------- */

static void draw_cell(uint32_t row, uint32_t col, uint16_t cell)
{
    bool alert = CELL_STYLE(cell) == FBCON_ALERT;
    uint32_t fg = fbcon.color_px[alert ? C_ALERT_FG : C_TEXT];
    uint32_t bg = fbcon.color_px[alert ? C_ALERT_BG : C_BG];
    draw_glyph(fbcon.con_x + col * fbcon.cell_w, fbcon.con_y + row * fbcon.cell_h, CELL_CHAR(cell),
               fg, bg);
}

static void set_cell(uint32_t row, uint32_t col, uint16_t cell)
{
    if (cells[row][col] != cell) {
        cells[row][col] = cell;
        if (!replaying)
            draw_cell(row, col, cell);
    }
}

/* Move every line up one. Only cells whose content changes are redrawn:
 * a boot log's lines share prefixes and blank tails, so that is far less
 * than the whole region, and nothing is read back from the framebuffer. */
static void scroll(void)
{
    for (uint32_t r = 0; r + 1 < fbcon.con_rows; r++)
        for (uint32_t c = 0; c < fbcon.cols; c++)
            set_cell(r, c, cells[r + 1][c]);
    for (uint32_t c = 0; c < fbcon.cols; c++)
        set_cell(fbcon.con_rows - 1, c, CELL_BLANK);
}

static void newline(enum fbcon_style style)
{
    /* An alert line becomes a full-width band, so it stands out. */
    if (style == FBCON_ALERT)
        for (uint32_t c = cur_col; c < fbcon.cols; c++)
            set_cell(cur_row, c, CELL(' ', style));
    cur_col = 0;
    if (++cur_row == fbcon.con_rows) {
        scroll();
        cur_row = fbcon.con_rows - 1;
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
    if (cur_col == fbcon.cols)
        newline(style);
    /* Other bytes are drawn as Latin-1: the font's table maps them;
     * control characters get the font's replacement glyph. */
    set_cell(cur_row, cur_col++, CELL(ch < ' ' ? '?' : ch, style));
}

void fbcon_console_layout(uint32_t top)
{
    uint32_t rows = MIN((fbcon.height - top) / fbcon.cell_h, FBCON_MAX_ROWS);

    if (cur_row >= rows) {
        uint32_t drop = cur_row + 1 - rows;
        memmove(cells[0], cells[drop], (size_t)(fbcon.con_rows - drop) * sizeof(cells[0]));
        for (uint32_t r = fbcon.con_rows - drop; r < fbcon.con_rows; r++)
            for (uint32_t c = 0; c < fbcon.cols; c++)
                cells[r][c] = CELL_BLANK;
        cur_row -= drop;
    }
    fbcon.con_y = top;
    fbcon.con_rows = rows;
    fbcon_fill_rect(0, top, fbcon.width, fbcon.height - top, fbcon.color_px[C_BG]);
    for (uint32_t r = 0; r < fbcon.con_rows; r++)
        for (uint32_t c = 0; c < fbcon.cols; c++)
            if (cells[r][c] != CELL_BLANK)
                draw_cell(r, c, cells[r][c]);
}

static void early_keep(const char *s)
{
    for (; *s; s++)
        early[early_written++ % FBCON_EARLY_BYTES] = *s;
}

/* Lay the kept text out in cells[], from the first whole line in the ring. */
static void early_replay(void)
{
    uint64_t from = early_written > FBCON_EARLY_BYTES ? early_written - FBCON_EARLY_BYTES : 0;

    if (from > 0)
        while (from < early_written && early[from++ % FBCON_EARLY_BYTES] != '\n')
            ;
    replaying = true;
    for (; from < early_written; from++)
        put_char((unsigned char)early[from % FBCON_EARLY_BYTES], FBCON_NORMAL);
    replaying = false;
}

void fbcon_early(const struct bootinfo *bi, const char *loader_log)
{
    early_bi = bi;
    early_keep(loader_log);
}

void fbcon_write(const char *s, enum fbcon_style style)
{
    if (!init_tried && style == FBCON_ALERT && early_bi != NULL)
        fbcon_init(early_bi);
    if (!fbcon.ready) {
        if (style == FBCON_NORMAL)
            early_keep(s);
        return;
    }
    uint64_t t0 = rdtsc();
    for (; *s; s++)
        put_char((unsigned char)*s, style);
    fbcon.draw_ticks += rdtsc() - t0;
}

uint64_t fbcon_draw_ticks(void)
{
    return fbcon.draw_ticks;
}

/* ---- init ------------------------------------------------------------------ */

static const char *fb_setup(const struct bootinfo_fb *f)
{
    if (f->base == 0 || f->format == FB_FORMAT_NONE)
        return "no-framebuffer";
    if (!fb_setup_format(f))   /* first: a pixel that is not 32 bits makes the geometry moot */
        return "bad-pixel-format";
    if (f->width == 0 || f->height == 0 || f->pitch / FB_BYTES_PER_PIXEL < f->width ||
        (uint64_t)f->pitch * f->height > f->size)
        return "bad-geometry";
    fb.base = phys_to_virt(f->base);
    fbcon.width = f->width;
    fbcon.height = f->height;
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

    init_tried = true;
    if ((off_reason = fb_setup(&bi->fb)))
        return;
    if (psf_parse(&font, _binary_font_psf_start,
                  (size_t)(_binary_font_psf_end - _binary_font_psf_start))) {
        off_reason = "bad-font";
        return;
    }
    fbcon.scale = MAX(fbcon.width / SCALE_WIDTH_STEP, fbcon.height / SCALE_HEIGHT_STEP);
    fbcon.scale = MIN(MAX(fbcon.scale, 1), SCALE_MAX);
    fbcon.cell_w = font.width * fbcon.scale;
    fbcon.cell_h = font.height * fbcon.scale;
    uint32_t cols = fbcon.width / fbcon.cell_w;
    fbcon.cols = MIN(cols > 4 * MARGIN_COLS ? cols - 2 * MARGIN_COLS : cols, FBCON_MAX_COLS);
    if (fbcon.cols == 0 || fbcon.height / fbcon.cell_h == 0) {
        off_reason = "screen-too-small";
        return;
    }
    fbcon.con_x = (fbcon.width - fbcon.cols * fbcon.cell_w) / 2;
    for (int c = 0; c < C_COUNT; c++)
        fbcon.color_px[c] = pack(base_rgb[c]);
    for (int t = 0; t < PMEM_TYPE_COUNT; t++)
        fbcon.type_px[t] = pack(type_rgb[t]);
    for (uint32_t r = 0; r < FBCON_MAX_ROWS; r++)
        for (uint32_t c = 0; c < FBCON_MAX_COLS; c++)
            cells[r][c] = CELL_BLANK;
    fbcon.con_y = 0;
    fbcon.con_rows = MIN(fbcon.height / fbcon.cell_h, FBCON_MAX_ROWS);
    early_replay();
    fbcon_console_layout(0);
    fbcon.ready = true;
    fbcon.draw_ticks += rdtsc() - t0;
}

void fbcon_report_screen(void)
{
    if (!fbcon.ready) {
        kprintf("pagoda: screen fb=none reason=%s\n", off_reason);
        return;
    }
    kprintf("pagoda: screen fb=%ux%u font=%ux%u scale=%u console=%ux%u+%u+%u draw_us=%lu\n",
            fbcon.width, fbcon.height, font.width, font.height, fbcon.scale, fbcon.cols,
            fbcon.con_rows, fbcon.con_x, fbcon.con_y,
            (unsigned long)timer_ticks_to_us(fbcon.draw_ticks));
}
