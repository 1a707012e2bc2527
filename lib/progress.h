/*
 * progress: the "\r" status line on a terminal (bup's qprogress), shown
 * only when stderr is a tty and not silenced, at most ten times a second.
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

#endif
