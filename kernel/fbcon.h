/* Framebuffer console: everything the kernel prints also goes to the GOP
 * framebuffer, rendered with a PSF bitmap font, plus a picture of physical
 * memory by tracker type. All calls are no-ops when there is no usable
 * framebuffer. Layout and invariants: kernel/fbcon.c. */
#ifndef PAGODA_KERNEL_FBCON_H
#define PAGODA_KERNEL_FBCON_H

#include "bootinfo.h"
#include "pmem.h"

enum fbcon_style {
    FBCON_NORMAL,
    FBCON_ALERT,      /* faults and panics: white on red, the whole line */
};

/* First thing at kernel entry: remember the framebuffer (an alert sets the
 * screen up at once) and keep the loader's log for the screen. Until
 * fbcon_init, fbcon_write keeps text for it. */
void fbcon_early(const struct bootinfo *bi, const char *loader_log);

/* Map nothing (the HHDM maps the framebuffer write-combining already);
 * check the mode GOP reported (linear, pitch and size consistent, RGBX/BGRX
 * or contiguous disjoint masks) and the embedded font, clear the screen and
 * start the console on all of it, with every line written since
 * fbcon_early. If any check fails, every call below stays a no-op and the
 * picture call says why. */
void fbcon_init(const struct bootinfo *bi);

/* Append text; '\n' starts a new line, long lines wrap, the console
 * scrolls within its region. Bytes are drawn as Latin-1, control bytes
 * as '?'. Callers serialise (console.c holds its lock). */
void fbcon_write(const char *s, enum fbcon_style style);

/* Draw the memory picture (bar coloured by type, address labels, legend
 * with sizes) at the top of the screen and move the console below it,
 * keeping its latest lines; then print `pagoda: screen fb=WxH font=WxH
 * scale=N console=COLSxROWS+X+Y draw_us=N` (or `pagoda: screen fb=none
 * reason=...`). It redraws the console outside console.c's lock: call it
 * before other CPUs print. */
void fbcon_draw_memory_picture(const struct pmem *pm);

/* Time spent drawing so far (console and picture), in TSC ticks. */
uint64_t fbcon_draw_ticks(void);

#endif
