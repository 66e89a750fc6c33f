/* The program's exit statuses, one meaning each (README, "Exit status"). */
#ifndef QUS_EXIT_STATUS_H
#define QUS_EXIT_STATUS_H

enum exit_status {
	EXIT_DONE = 0,             /* everything asked for is in place */
	EXIT_SOME_FAILED = 1,      /* some target failed, the others were done; --doctor: a problem */
	EXIT_USAGE = 2,            /* usage or input error: nothing was changed */
	EXIT_BINFMT_UNUSABLE = 3,  /* binfmt_misc cannot be used here */
	EXIT_OUTPUT_LOST = 4,      /* all done, but stdout could not be written */
};

#endif
