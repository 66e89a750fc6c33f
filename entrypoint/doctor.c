#include "doctor.h"

#include "report.h"

int doctor_run(const struct options *o)
{
	(void)o;
	report_error("--doctor is not implemented yet");
	return 2;
}
