/*
 * strlist: a growable list of owned C strings.
 * STRLIST_INIT, strlist_add() copies, strlist_clear() frees them all.
 */
#ifndef BUP_STRLIST_H
#define BUP_STRLIST_H

#include <stddef.h>

struct strlist {
	char **items;
	size_t nr, alloc;
};

#define STRLIST_INIT { NULL, 0, 0 }

void strlist_add(struct strlist *l, const char *s);
/* Add a string we already own (it is freed by strlist_clear). */
void strlist_add_owned(struct strlist *l, char *s);
int strlist_has(const struct strlist *l, const char *s);
void strlist_clear(struct strlist *l);

/*
 * The names of a midx or bloom file: `data[0..len)` split at NUL bytes
 * (no trailing NUL) into a new array of owned strings, returned with its
 * count in *nr; free with free_names().
 */
char **split_names(const unsigned char *data, size_t len, size_t *nr);
void free_names(char **names, size_t nr);

/*
 * The files in `dir` whose names end in `suffix` and do not start with
 * a dot, as "dir/name", in directory order (what bup's glob sees).
 * Returns 0, or -1 with errno if the directory cannot be read.
 */
int list_dir_suffix(const char *dir, const char *suffix, struct strlist *out);

#endif
