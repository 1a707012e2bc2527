/*
 * progress: the terminal: the "\r" status line (bup's qprogress), shown
 * only when stderr is a tty and not silenced, at most ten times a second,
 * and the width text is laid out for (bup's tty_width).
 */
#ifndef BUP_PROGRESS_H
#define BUP_PROGRESS_H

#include <stdint.h>

struct progress {
	const char *label;
	int enabled;
	uint64_t bytes;
	double last;
};

void progress_init(struct progress *p, const char *label, int enabled);
void progress_update(struct progress *p, uint64_t add_bytes);
void progress_done(struct progress *p);
double progress_now(void);

/* Columns of the terminal on stderr: $BUP_TTY_WIDTH if set, else the
 * tty's width, else 70 (bup's tty_width). */
int tty_width(void);

#endif
