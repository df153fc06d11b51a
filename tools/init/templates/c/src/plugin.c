/*
 * A Pocket plugin in C: one node, `{{node}}`. Build with `pocket-wit build .`, test with
 * `pocket-wit test .` (it runs the examples in manifest.yaml). JSON stays text: read fields
 * with pp_json_get_string, write the output with pp_buf_*.
 */
#include "pocket_plugin.h"

bool pp_exec(const pp_call_t *call, pp_str_t *out, pp_error_t *err) {
  pp_str_t name, greeting;
  if (pp_json_get_string(call->prep_result, "name", &name) != 1 || name.len == 0) {
    return pp_fail_details(err, PP_INVALID_INPUT, PP_STR("input.name: expected a non-empty string"), PP_STR("{\"field\":\"name\"}"));
  }
  if (pp_json_get_string(call->config, "greeting", &greeting) != 1) greeting = PP_STR("Hello");
  pp_buf_t msg;
  pp_buf_init(&msg);
  pp_buf_str(&msg, greeting);
  pp_buf_puts(&msg, ", ");
  pp_buf_str(&msg, name);
  pp_buf_putc(&msg, '!');
  pp_buf_t b;
  pp_buf_init(&b);
  pp_buf_puts(&b, "{\"message\":");
  pp_buf_json_string(&b, pp_buf_done(&msg));
  pp_buf_putc(&b, '}');
  *out = pp_buf_done(&b);
  return true;
}

bool pp_post(const pp_call_t *call, pp_post_result_t *out, pp_error_t *err) {
  (void)err;
  pp_log(PP_LOG_INFO, "greeted");
  out->output = call->exec_result;
  out->next = PP_STR("default");
  return true;
}
