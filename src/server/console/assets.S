/* The web console's static files (static/), embedded so the binary needs
 * no data files.  Each file is a pair of symbols, berth_console_<name> and
 * berth_console_<name>_end; console.c lists them with their URL paths and
 * content types.  Adding a file: a line here and a row in console.c. */
.macro asset name, path
    .section .rodata
    .balign 16
    .global berth_console_\name
berth_console_\name:
    .incbin "\path"
    .global berth_console_\name\()_end
berth_console_\name\()_end:
.endm

    asset index_html, "src/server/console/static/index.html"
    asset console_css, "src/server/console/static/console.css"
    asset favicon_svg, "src/server/console/static/favicon.svg"
    asset app_js, "src/server/console/static/app.js"
    asset api_js, "src/server/console/static/api.js"
    asset sigv4_js, "src/server/console/static/sigv4.js"
    asset dom_js, "src/server/console/static/dom.js"
    asset graph_js, "src/server/console/static/graph.js"
    asset clusters_js, "src/server/console/static/clusters.js"
    asset service_js, "src/server/console/static/service.js"
    asset tasks_js, "src/server/console/static/tasks.js"
    asset instances_js, "src/server/console/static/instances.js"
    asset taskdefs_js, "src/server/console/static/taskdefs.js"

    .section .note.GNU-stack,"",@progbits
