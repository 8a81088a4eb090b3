/* Private to the framebuffer console: shared by kernel/fbcon.c (set-up,
 * pixels, text console) and kernel/fbcon_picture.c (the memory picture).
 * Not for other callers: they use kernel/fbcon.h. */
#ifndef PAGODA_KERNEL_FBCON_INTERNAL_H
#define PAGODA_KERNEL_FBCON_INTERNAL_H

#include "fbcon.h"

/* Text grid storage: enough for every screen up to 7680 pixels wide at
 * 4x, or 1919 at 1x (8-pixel glyphs); larger screens use part of it. */
#define FBCON_MAX_COLS     240
#define FBCON_MAX_ROWS     80

/* The palette's named colours (RGB values in kernel/fbcon.c). */
enum fbcon_color { C_BG, C_TEXT, C_ALERT_FG, C_ALERT_BG, C_TITLE, C_DIM, C_HOLE, C_COUNT };

/* The screen as fbcon_init set it up. Written by kernel/fbcon.c only; the
 * picture reads it and draws through the functions below. */
struct fbcon_screen {
    bool ready;                             /* false: every call is a no-op */
    uint32_t width, height;                 /* framebuffer, pixels */
    uint32_t scale, cell_w, cell_h;         /* font scale; one text cell, pixels */
    uint32_t cols, con_rows, con_x, con_y;  /* console region: grid, top-left pixel */
    uint32_t color_px[C_COUNT];             /* packed for the framebuffer's format */
    uint32_t type_px[PMEM_TYPE_COUNT];      /* one colour per tracker type */
    uint64_t draw_ticks;                    /* TSC ticks spent drawing so far */
};
extern struct fbcon_screen fbcon;

/* Fill [x, x+w) x [y, y+h) with a packed colour, clipped to the screen. */
void fbcon_fill_rect(uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t px);

/* The same rectangle in diagonal stripes: a hole in the physical address
 * space. */
void fbcon_hatch_rect(uint32_t x, uint32_t y, uint32_t w, uint32_t h);

/* Text at pixel (x, y) on the background, clipped at the right edge;
 * returns the x after it. */
uint32_t fbcon_draw_text(uint32_t x, uint32_t y, const char *s, enum fbcon_color fg);

/* Give the console the region from pixel row `top` down, keeping the most
 * recent lines that fit, and redraw it. */
void fbcon_console_layout(uint32_t top);

/* Print `pagoda: screen fb=WxH font=WxH scale=N console=... draw_us=N`,
 * or `pagoda: screen fb=none reason=...` when the console is off. */
void fbcon_report_screen(void);

#endif
