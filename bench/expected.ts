/**
 * What every contender answers to its load request. One body for all keeps response sizes
 * equal, so differences in requests/s come from the work behind the response, not its bytes.
 */
export const EXPECTED_STATUS = 200;
export const EXPECTED_BODY = JSON.stringify({ username: "alice" });
