/* Framebuffer console: everything the kernel prints also goes to the GOP
 * framebuffer, rendered with a PSF bitmap font, plus a picture of physical
 * memory by tracker type. All calls are no-ops when there is no
 * framebuffer. */
#ifndef PAGODA_KERNEL_FBCON_H
#define PAGODA_KERNEL_FBCON_H

#include "bootinfo.h"
#include "pmem.h"

enum fbcon_style {
    FBCON_NORMAL,
    FBCON_ALERT,      /* faults and panics: must stand out */
};

/* Map nothing (the HHDM maps the framebuffer write-combining already);
 * clear the screen and start the console. */
void fbcon_init(const struct bootinfo *bi);

/* Append text; '\n' starts a new line, the screen scrolls at the bottom.
 * Callers serialise (console.c holds its lock). */
void fbcon_write(const char *s, enum fbcon_style style);

/* Draw the memory picture (bar coloured by type, legend with sizes). */
void fbcon_draw_memory_picture(const struct pmem *pm);

/* Time spent drawing so far, in TSC ticks. */
uint64_t fbcon_draw_ticks(void);

#endif
