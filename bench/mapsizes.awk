# mapsizes.awk: bytes per input file in a GNU ld link map (-Wl,-Map=FILE).
# Prints "bytes output-section file" for every input section placed in an
# allocated output section, where file is the object (entrypoint/plan.o)
# or the archive member (libc.a(vfprintf.lo)). Sections that take no room
# in the file (.bss, .tbss) are printed too: bench/run tells them apart.
# Written for mawk (no strtonum): hex sizes are converted by hand.

function hex(s,   i, c, v) {
	s = tolower(s)
	sub(/^0x/, "", s)
	v = 0
	for (i = 1; i <= length(s); i++) {
		c = index("0123456789abcdef", substr(s, i, 1)) - 1
		v = v * 16 + c
	}
	return v
}

function emit(size, file,   f) {
	if (size == 0 || out == "" || out ~ /^\.(comment|debug|note|gnu\.warning|stab)/)
		return
	f = file
	sub(/^.*\//, "", f)
	print size, out, f
}

/^Linker script and memory map/ { inmap = 1; next }
!inmap { next }

# An output section: a name in column 1.
/^\.[^ ]/ { out = $1; pending = ""; next }
/^[^ ]/ { out = ""; pending = ""; next }

# An input section whose address, size and file are on the next line.
/^ [.A-Za-z_*]/ && NF == 1 && $1 !~ /^\*/ { pending = $1; next }
pending != "" && /^ +0x/ && NF >= 3 { emit(hex($2), $3); pending = ""; next }

# An input section on one line: name address size file.
/^ [.A-Za-z_]/ && NF >= 4 && $2 ~ /^0x/ && $3 ~ /^0x/ { emit(hex($3), $4); next }
{ pending = "" }
