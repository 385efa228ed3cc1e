/* The trimmed botocore models, embedded so the binary needs no data files.
 * Each blob is NUL-terminated; sizes exclude the NUL. */
    .section .rodata
    .balign 16
    .global berth_model_ecs
berth_model_ecs:
    .incbin "src/server/http/models/ecs.json"
    .byte 0
    .global berth_model_ecs_end
berth_model_ecs_end:
    .balign 16
    .global berth_model_logs
berth_model_logs:
    .incbin "src/server/http/models/logs.json"
    .byte 0
    .global berth_model_logs_end
berth_model_logs_end:
    .section .note.GNU-stack,"",@progbits
