/* The memory picture at the top of the screen (kernel/fbcon.h,
 * fbcon_draw_memory_picture): a bar of the tracker's ranges in address
 * order coloured by type, address labels under it, a marker at the kernel
 * image, and a legend with each type's size. The screen layout and the
 * palette (type colours included) are kernel/fbcon.c's; this file draws
 * through the primitives in kernel/fbcon_internal.h. */
#include <string.h>

#include "fbcon_internal.h"
#include "fmt.h"
#include "kernel.h"
#include "x86/cpu.h"

/* Memory picture geometry, in text cells unless noted (scaled with them). */
#define BAR_ROWS           2      /* bar height */
#define LEGEND_ENTRY_COLS  34     /* swatch, name (<= 18), size */
#define SWATCH_COLS        3
#define MIN_RANGE_PX       4      /* every tracker range is at least this wide (x scale) */
#define HOLE_COLS          2      /* a hole's fixed width, whatever its size */
#define TICK_PX            4
#define SEPARATOR_PX       2
#define MIN_CONSOLE_ROWS   8      /* the picture is skipped if it would leave less */
#define LABEL_MAX          24

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
    paddr_t cursor = *pos, gap_base, gap_end;

    if (*i >= pm->count)
        return false;
    const struct pmem_range *r = &pm->ranges[*i];
    if (pmem_next_gap(pm, *pos, r->base, &cursor, &gap_base, &gap_end)) {
        /* Range i is the next one, so the gap runs from pos to its base. */
        *s = (struct segment){ gap_base, gap_end, PMEM_NONE };
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
    b->min_px = MIN_RANGE_PX * fbcon.scale;
    b->hole_px = HOLE_COLS * fbcon.cell_w;
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
    uint32_t w = (uint32_t)strlen(text) * fbcon.cell_w;
    uint32_t start = a == ALIGN_LEFT ? x : (x >= w ? x - w : 0);
    uint32_t scale = fbcon.scale, tick_h = TICK_PX * scale;

    if (start < *free_x || start + w > fbcon.width)
        return;
    fbcon_fill_rect(x == b->x + b->w ? x - scale : x, b->y + b->h, scale, tick_h,
                    fbcon.color_px[C_DIM]);
    fbcon_draw_text(start, b->y + b->h + tick_h, text, C_DIM);
    *free_x = start + w + fbcon.cell_w;
}

/* "^ kernel 0x..." under the kernel image, pointing left or right so it
 * stays on screen. */
static void kernel_marker(uint32_t mid, uint32_t y, paddr_t base)
{
    char text[LABEL_MAX + 8];
    size_t len = (size_t)fmt_snprintf(text, sizeof(text), "^ kernel 0x%lx", (unsigned long)base);
    uint32_t cw = fbcon.cell_w;

    if (mid + len * cw <= fbcon.width) {
        fbcon_draw_text(mid - MIN(mid, cw / 2), y, text, C_TITLE);
    } else {
        fmt_snprintf(text, sizeof(text), "kernel 0x%lx ^", (unsigned long)base);
        fbcon_draw_text(mid + cw / 2 - MIN(mid + cw / 2, len * cw), y, text, C_TITLE);
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
            fbcon_hatch_rect(x0, b->y, x1 - x0, b->h);
        else
            fbcon_fill_rect(x0, b->y, x1 - x0, b->h, fbcon.type_px[s.type]);
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
    uint32_t cw = fbcon.cell_w, ch = fbcon.cell_h;
    uint32_t ex = x + (k % per_row) * LEGEND_ENTRY_COLS * cw, ey = y + (k / per_row) * ch;
    uint32_t sw = (SWATCH_COLS - 1) * cw, inset = 2 * fbcon.scale;

    if (type == PMEM_NONE)
        fbcon_hatch_rect(ex, ey + inset, sw, ch - 2 * inset);
    else
        fbcon_fill_rect(ex, ey + inset, sw, ch - 2 * inset, fbcon.type_px[type]);
    fbcon_draw_text(ex + SWATCH_COLS * cw, ey, text, C_TEXT);
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
    uint32_t x = fbcon_draw_text(fbcon.con_x, y, text, C_TITLE);
    fmt_snprintf(text, sizeof(text),
                 "(each range >= %u px, the rest by size; holes hatched, not to scale)", b->min_px);
    fbcon_draw_text(x, y, text, C_DIM);
}

/* Lay the picture out from the top of the screen and draw it, unless the
 * console would keep fewer than MIN_CONSOLE_ROWS below it. */
static void draw_picture(const struct pmem *pm)
{
    uint32_t cw = fbcon.cell_w, ch = fbcon.cell_h, scale = fbcon.scale;
    uint64_t t0 = rdtsc();
    struct bar b = { .x = fbcon.con_x, .w = fbcon.cols * cw, .h = BAR_ROWS * ch };
    b.y = ch / 2 + ch + ch / 2;           /* margin, title, gap */
    bar_plan(&b, pm);
    bool holes = b.holes > 0 && b.hole_px > 0;
    uint32_t per_row = MAX(fbcon.cols / LEGEND_ENTRY_COLS, 1);
    uint32_t legend_rows = (legend_entries(pm, holes) + per_row - 1) / per_row;
    uint32_t marker_y = b.y + b.h + TICK_PX * scale + ch;
    uint32_t legend_y = marker_y + ch + ch / 2;
    uint32_t sep_y = legend_y + legend_rows * ch + ch / 2;
    uint32_t top = sep_y + SEPARATOR_PX * scale + ch / 2;

    if (top >= fbcon.height || (fbcon.height - top) / ch < MIN_CONSOLE_ROWS) {
        fbcon.draw_ticks += rdtsc() - t0;
        kprintf("pagoda: screen picture=skipped reason=screen-too-small\n");
        return;
    }
    fbcon_console_layout(top);
    fbcon_fill_rect(0, 0, fbcon.width, top, fbcon.color_px[C_BG]);
    draw_title(pm, &b, ch / 2);
    draw_bar(&b, pm, marker_y);
    draw_legend(pm, fbcon.con_x, legend_y, per_row, holes);
    fbcon_fill_rect(0, sep_y, fbcon.width, SEPARATOR_PX * scale, fbcon.color_px[C_DIM]);
    fbcon.draw_ticks += rdtsc() - t0;
}

void fbcon_draw_memory_picture(const struct pmem *pm)
{
    if (fbcon.ready)
        draw_picture(pm);
    fbcon_report_screen();
}
