/* Prosody settings shared by the espeak-ng and flite back ends. A speaker,
 * an instruction or a voice prompt all end up as one of these, expressed in
 * physical units (Hz, a rate factor, dB) so that each back end can map them
 * to its own parameters. */
#ifndef CV_ESPEAK_PROSODY_H
#define CV_ESPEAK_PROSODY_H

typedef enum voice_gender { GENDER_FEMALE = 0, GENDER_MALE = 1 } voice_gender;

typedef struct prosody {
    voice_gender gender;
    char variant[16];  /* espeak-ng voice variant: "f3", "m3", "whisperf"... */
    float f0_hz;       /* target median F0 of the output */
    float range;       /* intonation range factor, 1 = the voice's normal */
    float rate;        /* speaking-rate factor, 1 = normal, >1 faster */
    float gain_db;     /* output level change, applied after synthesis */
    float breathiness; /* 0..1: whisper-like noise mix (soft/whisper) */
} prosody;

#endif
