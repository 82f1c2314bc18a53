# SPDX-License-Identifier: GPL-2.0
#
# KTAP output and exit codes for the shell selftests (kselftest
# conventions: exit 0 pass, 1 fail, 4 skip).
#
# A test sources this file, calls ktap_plan N, reports each case with
# ktap_ok / ktap_fail / ktap_check / ktap_skip and ends with ktap_finish.
# Diagnostics go to stdout prefixed with "# ".

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

ktap_nr=0
ktap_nr_fail=0
ktap_nr_skip=0

ktap_plan()
{
	echo "TAP version 13"
	echo "1..$1"
}

# Skip a whole test before its plan: a reason is mandatory.
ktap_skip_all()
{
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit $KSFT_SKIP
}

ktap_bail()
{
	echo "Bail out! $*"
	exit $KSFT_FAIL
}

ktap_info()
{
	echo "# $*"
}

ktap_ok()
{
	ktap_nr=$((ktap_nr + 1))
	echo "ok $ktap_nr $*"
}

ktap_fail()
{
	ktap_nr=$((ktap_nr + 1))
	ktap_nr_fail=$((ktap_nr_fail + 1))
	echo "not ok $ktap_nr $*"
}

ktap_skip()
{
	local name=$1

	shift
	ktap_nr=$((ktap_nr + 1))
	ktap_nr_skip=$((ktap_nr_skip + 1))
	echo "ok $ktap_nr $name # SKIP $*"
}

# ktap_check NAME COMMAND...: one case, passing when COMMAND succeeds.
ktap_check()
{
	local name=$1

	shift
	if "$@"; then
		ktap_ok "$name"
	else
		ktap_fail "$name"
	fi
}

# ktap_eq NAME EXPECTED ACTUAL
ktap_eq()
{
	if [ "$2" = "$3" ]; then
		ktap_ok "$1"
	else
		ktap_info "$1: expected '$2', got '$3'"
		ktap_fail "$1"
	fi
}

# expect NAME RC FRAGMENT COMMAND...: COMMAND exits with RC and says
# FRAGMENT (on stdout or stderr).
expect()
{
	local name=$1 rc=$2 frag=$3 out got

	shift 3
	out=$("$@" 2>&1)
	got=$?
	if [ $got -eq "$rc" ] && [[ $out == *"$frag"* ]]; then
		ktap_ok "$name"
	else
		ktap_info "$name: wanted exit $rc and '$frag'"
		ktap_info "got exit $got: $out"
		ktap_fail "$name"
	fi
}

ktap_finish()
{
	echo "# totals: pass:$((ktap_nr - ktap_nr_fail - ktap_nr_skip)) fail:$ktap_nr_fail skip:$ktap_nr_skip"
	if [ $ktap_nr_fail -ne 0 ]; then
		exit $KSFT_FAIL
	fi
	if [ $ktap_nr_skip -ne 0 ] && [ $ktap_nr_skip -eq $ktap_nr ]; then
		exit $KSFT_SKIP
	fi
	exit $KSFT_PASS
}

# wait_for TIMEOUT_MS COMMAND...: poll until COMMAND succeeds, for at most
# TIMEOUT_MS of wall-clock time (a slow VM makes each try slow).
wait_for()
{
	local timeout_us=$(($1 * 1000))
	local start=${EPOCHREALTIME/./}

	shift
	until "$@"; do
		[ $((${EPOCHREALTIME/./} - start)) -ge $timeout_us ] && return 1
		sleep 0.01
	done
}
