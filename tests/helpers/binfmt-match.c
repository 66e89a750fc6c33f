/*
 * Does a register string match a file? The kernel's rule, written out
 * independently of `register`: decode the \xHH escapes of magic and mask,
 * then every byte of the file at offset+i, masked, must equal the masked
 * magic. Exit 0: it matches; 1: it does not; 2: bad input.
 *
 *     binfmt-match ':qemu-x:M::<magic>:<mask>:<interp>:<flags>' FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t unescape(const char *s, size_t len, unsigned char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; n++) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] == 'x') {
			char hex[3] = { s[i + 2], s[i + 3], 0 };
			out[n] = (unsigned char)strtoul(hex, NULL, 16);
			i += 4;
		} else {
			out[n] = (unsigned char)s[i++];
		}
	}
	return n;
}

int main(int argc, char *argv[])
{
	const char *field[8];
	size_t flen[8];
	unsigned char magic[512];
	unsigned char mask[512];
	unsigned char buf[256] = { 0 };
	size_t nmagic;
	size_t nmask;
	size_t offset;
	const char *p;
	FILE *f;
	int k = 0;

	if (argc != 3 || argv[1][0] == '\0')
		return 2;
	/* Fields after the delimiter: name, type, offset, magic, mask, interp, flags. */
	p = argv[1] + 1;
	while (k < 7) {
		const char *end = strchr(p, argv[1][0]);
		field[k] = p;
		flen[k] = end != NULL ? (size_t)(end - p) : strlen(p);
		k++;
		if (end == NULL)
			break;
		p = end + 1;
	}
	if (k < 6 || flen[1] != 1 || field[1][0] != 'M')
		return 2;
	offset = flen[2] ? (size_t)strtoul(field[2], NULL, 10) : 0;
	nmagic = unescape(field[3], flen[3], magic);
	nmask = unescape(field[4], flen[4], mask);
	if (nmask == 0)
		memset(mask, 0xff, nmask = nmagic);
	if (nmask != nmagic || offset + nmagic > sizeof(buf))
		return 2;
	f = fopen(argv[2], "rb");
	if (f == NULL)
		return 2;
	/* A short file leaves zeros, as the kernel's buffer does. */
	(void)fread(buf, 1, sizeof(buf), f);
	fclose(f);
	for (size_t i = 0; i < nmagic; i++)
		if ((buf[offset + i] ^ magic[i]) & mask[i])
			return 1;
	return 0;
}
