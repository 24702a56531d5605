/*
 * inih.h - libinih's own header. It is named ini.h, like common/ini.h,
 * which -Icommon finds first: include this one as <inih.h> and the search
 * goes on past common/ to the system's ini.h (Debian's libinih-dev).
 */
#include_next <ini.h>
