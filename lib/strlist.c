#include "strlist.h"
#include "buf.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

void strlist_add_owned(struct strlist *l, char *s)
{
	ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	l->items[l->nr++] = s;
}

void strlist_add(struct strlist *l, const char *s)
{
	strlist_add_owned(l, xstrdup(s));
}

int strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->nr; i++)
		if (!strcmp(l->items[i], s))
			return 1;
	return 0;
}

void strlist_clear(struct strlist *l)
{
	for (size_t i = 0; i < l->nr; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}

char **split_names(const unsigned char *data, size_t len, size_t *nr)
{
	const unsigned char *q = data, *end = data + len;
	char **names = NULL;
	size_t alloc = 0;

	*nr = 0;
	while (q < end) {
		const unsigned char *z = memchr(q, 0, (size_t)(end - q));
		if (!z)
			z = end;
		ALLOC_GROW(names, *nr + 1, alloc);
		names[(*nr)++] = xstrndup((const char *)q, (size_t)(z - q));
		q = z + 1;
	}
	return names;
}

void free_names(char **names, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
}

int list_dir_suffix(const char *dir, const char *suffix, struct strlist *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t sl = strlen(suffix);

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		struct buf p = BUF_INIT;
		if (de->d_name[0] == '.' || n < sl ||
		    strcmp(de->d_name + n - sl, suffix))
			continue;
		buf_addf(&p, "%s/%s", dir, de->d_name);
		strlist_add_owned(out, buf_detach(&p, NULL));
	}
	closedir(d);
	return 0;
}
