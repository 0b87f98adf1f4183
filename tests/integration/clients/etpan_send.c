/* A minimal SMTP client on libetpan's mailsmtp API (a client nobody here wrote the protocol side
 * of): connects, EHLO, MAIL, RCPT, DATA with the message read from a file. Exit 0 on 250.
 * usage: etpan_send HOST PORT FROM TO FILE */
#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
    if (argc != 6) return 2;
    FILE* f = fopen(argv[5], "rb");
    if (!f) return 2;
    static char body[1 << 20];
    size_t len = fread(body, 1, sizeof body, f);
    fclose(f);
    mailsmtp* smtp = mailsmtp_new(0, NULL);
    int r = mailsmtp_socket_connect(smtp, argv[1], (uint16_t)atoi(argv[2]));
    if (r == MAILSMTP_NO_ERROR) r = mailesmtp_ehlo(smtp);
    if (r == MAILSMTP_NO_ERROR) r = mailesmtp_mail(smtp, argv[3], 0, NULL);
    if (r == MAILSMTP_NO_ERROR) r = mailesmtp_rcpt(smtp, argv[4], 0, NULL);
    if (r == MAILSMTP_NO_ERROR) r = mailsmtp_data(smtp);
    if (r == MAILSMTP_NO_ERROR) r = mailsmtp_data_message(smtp, body, len);
    printf("%d %s\n", r, smtp->response ? smtp->response : "");
    mailsmtp_quit(smtp);
    mailsmtp_free(smtp);
    return r == MAILSMTP_NO_ERROR ? 0 : 1;
}
