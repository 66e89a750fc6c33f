#include "export.h"

#include "report.h"

int export_run(const struct options *o, const struct plan *p)
{
	(void)o;
	(void)p;
	report_error("--systemd and --debian are not implemented yet");
	return 2;
}
